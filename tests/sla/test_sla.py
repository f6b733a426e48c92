from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice import queueing
from backoffice.calendars.models import BusinessCalendar
from backoffice.calendars.services import calendar_spec
from backoffice.calendars.timecalc import business_time_between
from backoffice.errors import Conflict, Forbidden, Invalid
from cases.choices import EventType, Status
from cases.models import Case, CaseEvent, Queue
from casework.services import (
    case_customer_message,
    case_extend_deadline,
    case_reply,
    case_set_priority,
    case_transition,
)
from sla import facts
from sla import services as sla_services
from sla.choices import ClockState
from sla.models import SlaClock, SlaClockStop
from sla.sweep import sla_sweep, sla_sweep_until_done
from sla.tasks import send_staff_alert
from tests.sla.clock_rebuild import rebuild_clock
from tests.support.factories import open_case, staff

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def sh(*args):
    return datetime(*args, tzinfo=SH)


@pytest.fixture
def agent():
    return staff("agent", "recharge", username="agent")


@pytest.fixture
def supervisor():
    return staff("supervisor", "recharge", username="sup")


def clock(case, metric, cycle=1):
    return SlaClock.objects.get(case=case, metric=metric, cycle=cycle)


def test_intake_starts_first_response_resolution_and_regulatory_clocks():
    case = open_case(received_at=sh(2026, 9, 30, 17, 0))  # p1
    assert clock(case, "first_response").due_at == sh(2026, 10, 8, 10, 0)
    assert clock(case, "resolution").due_at == sh(2026, 10, 10, 18, 0)  # 10-10 is a makeup Saturday
    assert clock(case, "regulatory_decision").due_at == sh(2026, 10, 15, 23, 59, 59)
    for c in SlaClock.objects.filter(case=case):
        assert (c.state, c.original_due_at, c.past_verified) == (ClockState.ACTIVE, c.due_at, False)


@pytest.mark.parametrize(
    ("category", "first_due", "resolution_due"),
    [
        ("recharge_wrong_number", sh(2026, 9, 30, 13, 0), sh(2026, 10, 15, 18, 0)),  # p2: 4 h, 7 wd
        (
            "recharge_wrong_amount",
            sh(2026, 10, 8, 18, 0),
            sh(2026, 10, 20, 18, 0),
        ),  # p3: 1 wd, 10 wd
    ],
)
def test_targets_follow_priority(category, first_due, resolution_due):
    case = open_case(category=category, received_at=sh(2026, 9, 30, 9, 0))
    assert clock(case, "first_response").due_at == first_due
    assert clock(case, "resolution").due_at == resolution_due


def test_first_public_reply_meets_the_first_response_clock(agent):
    case = open_case()
    case_reply(actor=agent, case=case, body="note", internal=True)
    assert clock(case, "first_response").state == ClockState.ACTIVE
    case_reply(actor=agent, case=case, body="您好")
    c = clock(case, "first_response")
    assert (c.state, c.stopped_at is not None, c.next_threshold_at) == (ClockState.MET, True, None)


def test_a_late_reply_records_a_breach_for_good(agent):
    case = open_case(received_at=sh(2026, 1, 5, 9, 0))
    assert not case.breached
    case_reply(actor=agent, case=case, body="sorry for the wait")
    c = clock(case, "first_response")
    assert (c.state, c.breached_at) == (ClockState.BREACHED, c.due_at)
    case.refresh_from_db()
    assert case.breached  # the list's `breached` filter reads this


def test_waiting_customer_pauses_customer_clocks_and_moves_due_by_the_pause(agent, freezer):
    freezer.move_to(sh(2026, 9, 28, 10, 0))
    case = open_case()
    before = {
        m: clock(case, m).due_at for m in ("first_response", "resolution", "regulatory_decision")
    }
    case_transition(actor=agent, case=case, to=Status.WAITING_CUSTOMER)
    assert clock(case, "first_response").state == ClockState.PAUSED
    assert clock(case, "regulatory_decision").state == ClockState.ACTIVE  # never pauses
    freezer.move_to(
        sh(2026, 9, 29, 11, 30)
    )  # paused 9 business hours (10:00 → 18:00, 09:00 → 11:30 = 10.5h)
    case_customer_message(actor=staff("intake", username="app"), case=case, body="我补充一下")
    pause = timedelta(hours=10, minutes=30)
    spec = calendar_spec(None)
    for metric in ("first_response", "resolution"):
        c = clock(case, metric)
        assert c.state == ClockState.ACTIVE
        assert c.paused_seconds == pause.total_seconds()
        assert business_time_between(spec, before[metric], c.due_at) == pause
    assert clock(case, "regulatory_decision").due_at == before["regulatory_decision"]
    assert clock(case, "next_response").state == ClockState.ACTIVE


def test_waiting_third_party_pauses_only_resolution(agent):
    case = open_case()
    case_transition(actor=agent, case=case, to=Status.WAITING_THIRD_PARTY)
    states = dict(SlaClock.objects.filter(case=case).values_list("metric", "state"))
    assert states == {
        "first_response": "active",
        "resolution": "paused",
        "regulatory_decision": "active",
    }
    case_transition(actor=agent, case=case, to=Status.WAITING_CUSTOMER)
    states = dict(SlaClock.objects.filter(case=case).values_list("metric", "state"))
    assert states == {
        "first_response": "paused",
        "resolution": "paused",
        "regulatory_decision": "active",
    }


def test_priority_change_retargets_from_the_original_start(supervisor):
    case = open_case(category="recharge_wrong_amount", received_at=sh(2026, 9, 30, 9, 0))  # p3
    case_set_priority(actor=supervisor, case=case, priority="p1")
    assert clock(case, "first_response").due_at == sh(2026, 9, 30, 11, 0)
    assert clock(case, "resolution").due_at == sh(2026, 10, 10, 18, 0)
    assert clock(case, "first_response").original_due_at == sh(2026, 10, 8, 18, 0)


def test_resolve_stops_clocks_and_reopen_starts_a_new_cycle(agent):
    case = open_case()
    case = case_transition(actor=agent, case=case, to=Status.RESOLVED, root_cause="system_fault")
    states = dict(SlaClock.objects.filter(case=case).values_list("metric", "state"))
    assert set(states.values()) == {"met"}
    case = case_transition(actor=agent, case=case, to=Status.IN_PROGRESS)
    new = clock(case, "resolution", cycle=2)
    assert new.state == ClockState.ACTIVE
    assert clock(case, "resolution", cycle=1).state == ClockState.MET


def test_closing_cancels_what_still_runs(agent):
    case = open_case()
    case = case_transition(actor=agent, case=case, to=Status.RESOLVED, root_cause="system_fault")
    case = case_transition(actor=agent, case=case, to=Status.IN_PROGRESS)
    case = case_transition(actor=agent, case=case, to=Status.RESOLVED, root_cause="system_fault")
    case_transition(actor=agent, case=case, to=Status.CLOSED)
    assert not SlaClock.objects.filter(case=case, state__in=["active", "paused"]).exists()


def test_sweep_records_warnings_and_breach_once_each():
    case = open_case(received_at=sh(2026, 9, 30, 9, 0))  # p1 first response due 11:00
    c = clock(case, "first_response")
    assert (c.next_threshold, c.next_threshold_at) == ("warn_50", sh(2026, 9, 30, 10, 0))
    assert sla_sweep(now=sh(2026, 9, 30, 9, 59)) == 0
    assert sla_sweep(now=sh(2026, 9, 30, 10, 0)) == 1
    assert sla_sweep(now=sh(2026, 9, 30, 10, 1)) == 0
    assert sla_sweep(now=sh(2026, 9, 30, 11, 0)) == 2  # 75% and the breach
    assert sla_sweep(now=sh(2026, 9, 30, 11, 5)) == 0
    events = CaseEvent.objects.filter(case=case, type=EventType.SLA, payload__clock=c.pk)
    assert [
        e.payload.get("threshold", e.payload["action"])
        for e in events
        if e.payload["action"] in ("warn", "breach")
    ] == [
        "warn_50",
        "warn_75",
        "breach",
    ]
    c.refresh_from_db()
    assert (c.state, c.breached_at, c.next_threshold_at) == (
        "breached",
        sh(2026, 9, 30, 11, 0),
        None,
    )


def test_a_sweep_writes_its_clocks_and_events_in_one_statement_each():
    cases = [open_case(received_at=sh(2026, 9, 30, 9, 0)) for _ in range(4)]  # p1: due 11:00
    with CaptureQueriesContext(connection) as captured:
        fired = sla_sweep(now=sh(2026, 9, 30, 11, 0))
    assert fired == 12  # each first-response clock: 50%, 75% and the breach
    statements = [q["sql"] for q in captured.captured_queries]
    assert sum(s.startswith('UPDATE "cases_slaclock"') for s in statements) == 1
    assert sum(s.startswith('INSERT INTO "cases_caseevent"') for s in statements) == 1
    for case in cases:
        first = clock(case, "first_response")
        assert (first.state, first.fired) == ("breached", "warn_50,warn_75,breach")
        assert first.breached_at == sh(2026, 9, 30, 11, 0)
        case.refresh_from_db()
        assert case.breached
        # the breached clock keeps its due time in the list's key: breached cases sort first
        assert case.next_due_at == first.due_at < sh(2026, 9, 30, 11, 0) + timedelta(seconds=1)


def test_a_sweep_moves_a_batch_of_breached_cases_in_one_update():
    cases = [open_case(received_at=sh(2026, 9, 30, 9, 0)) for _ in range(3)]
    with CaptureQueriesContext(connection) as captured:
        sla_sweep(now=sh(2026, 10, 11, 9, 0))  # past every case's resolution due time
    statements = [q["sql"] for q in captured.captured_queries]
    # one each for the cases' next due time, their `breached` mark and the move of all three
    assert sum(s.startswith('UPDATE "cases_case"') for s in statements) == 3
    for case in cases:
        case.refresh_from_db()
        assert case.queue.code == "escalation"
        routed = CaseEvent.objects.filter(case=case, type=EventType.ROUTED).last()
        assert routed.payload["queue"] == "escalation"
        assert routed.payload["why"] == "escalation: Breach: move to the escalation queue"
        assert routed.payload["from"] != "escalation"


def test_breach_escalates_to_the_escalation_queue_and_notifies(
    mailoutbox, monkeypatch, django_capture_on_commit_callbacks
):
    published = []
    monkeypatch.setattr(queueing, "publish", lambda task, *args: published.append((task, args)))
    manager = staff("manager", username="boss")
    manager.email = "boss@example.com"
    manager.save()
    case = open_case(received_at=sh(2026, 9, 30, 9, 0))
    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep(now=sh(2026, 10, 11, 9, 0))  # past the resolution due time (10-10 18:00)
    case.refresh_from_db()
    assert case.queue.code == "escalation"
    escalations = CaseEvent.objects.filter(
        case=case, type=EventType.SLA, payload__action="escalate"
    )
    assert escalations.filter(payload__notify=["boss"]).exists()
    alerts = [args for task, args in published if task.name == "cases.send_staff_alert"]
    assert (case.reference, "resolution", "breach", ["boss@example.com"]) in alerts
    send_staff_alert(*alerts[0])
    assert mailoutbox[0].to == ["boss@example.com"]
    assert case.reference in mailoutbox[0].subject


def test_regulatory_warning_three_days_before_the_deadline():
    case = open_case(received_at=sh(2026, 9, 30, 9, 0))
    reg = clock(case, "regulatory_decision")
    sla_sweep(now=sh(2026, 10, 12, 23, 59, 59))
    reg.refresh_from_db()
    assert "due_soon" in reg.fired.split(",")
    assert reg.state == ClockState.ACTIVE


def test_extension_steps_15_30_60_then_no_more(supervisor, agent):
    case = open_case(received_at=sh(2026, 9, 30, 9, 0))
    with pytest.raises(Forbidden):
        case_extend_deadline(actor=agent, case=case, reason="complex")
    with pytest.raises(Invalid) as exc:
        case_extend_deadline(actor=supervisor, case=case, reason=" ")
    assert list(exc.value.errors) == ["reason"]
    case_extend_deadline(actor=supervisor, case=case, reason="需要运营商协查")
    assert clock(case, "regulatory_decision").due_at == sh(2026, 10, 30, 23, 59, 59)
    case_extend_deadline(actor=supervisor, case=case, reason="especially complex")
    assert clock(case, "regulatory_decision").due_at == sh(2026, 11, 29, 23, 59, 59)
    with pytest.raises(Conflict) as exc:
        case_extend_deadline(actor=supervisor, case=case, reason="again")
    assert exc.value.code == "no_more_extensions"
    assert clock(case, "regulatory_decision").extension_level == 2


def test_deadline_past_the_verified_calendar_is_computed_and_flagged():
    BusinessCalendar.objects.filter(code="cn").update(verified_through="2026-10-05")
    case = open_case(received_at=sh(2026, 9, 30, 9, 0))
    assert clock(case, "first_response").past_verified is False  # 09-30 11:00
    reg = clock(case, "regulatory_decision")
    assert reg.past_verified is True
    assert reg.due_at == sh(2026, 10, 15, 23, 59, 59)
    start = CaseEvent.objects.get(
        type=EventType.SLA, payload__clock=reg.pk, payload__action="start"
    )
    assert start.payload["past_verified"] is True


def test_clock_state_can_be_rebuilt_from_its_events(agent, supervisor, freezer):
    freezer.move_to(sh(2026, 9, 29, 10, 0))
    case = open_case(category="recharge_wrong_number")
    freezer.move_to(sh(2026, 9, 29, 15, 0))
    case = case_transition(actor=agent, case=case, to=Status.WAITING_CUSTOMER)
    freezer.move_to(sh(2026, 9, 30, 10, 0))
    case = case_transition(actor=agent, case=case, to=Status.IN_PROGRESS)
    case_set_priority(actor=supervisor, case=case, priority="p1")
    case_extend_deadline(actor=supervisor, case=case, reason="complex")
    sla_sweep(now=sh(2026, 10, 9, 12, 0))
    freezer.move_to(sh(2026, 10, 9, 12, 0))
    case_reply(actor=agent, case=Case.objects.get(pk=case.pk), body="done")
    case_transition(
        actor=agent, case=Case.objects.get(pk=case.pk), to=Status.RESOLVED, root_cause="user_error"
    )
    for stored in SlaClock.objects.filter(case=case):
        rebuilt = rebuild_clock(clock_id=stored.pk, calendar=stored.calendar)
        assert (rebuilt.state, rebuilt.due_at, rebuilt.amount, rebuilt.paused_seconds) == (
            stored.state,
            stored.due_at,
            stored.amount,
            stored.paused_seconds,
        ), stored.metric
        assert (rebuilt.breached_at, rebuilt.stopped_at, rebuilt.extension_level) == (
            stored.breached_at,
            stored.stopped_at,
            stored.extension_level,
        ), stored.metric
        assert ",".join(rebuilt.fired) == stored.fired, stored.metric


# --- the report's fact rows of stopped clocks (SlaClockStop) --------------------------------------


def stop_row(case, metric, cycle=1):
    return SlaClockStop.objects.get(clock=clock(case, metric, cycle))


def test_a_met_clock_writes_its_report_row_in_the_stopping_transaction(agent, freezer):
    freezer.move_to(sh(2026, 9, 29, 10, 0))
    case = open_case(category="recharge_wrong_number")
    assert not SlaClockStop.objects.exists()
    freezer.move_to(sh(2026, 9, 29, 11, 30))
    case_reply(actor=agent, case=case, body="您好")
    case.refresh_from_db()

    row = stop_row(case, "first_response")
    assert SlaClockStop.objects.count() == 1  # the other clocks still run
    assert (row.state, row.metric, row.stopped_at, row.business_minutes) == (
        ClockState.MET,
        "first_response",
        sh(2026, 9, 29, 11, 30),
        90.0,
    )
    groups = (row.queue_id, row.assignee_id, row.category, row.priority, row.channel)
    assert groups == (
        case.queue_id,
        case.assignee_id,
        "recharge_wrong_number",
        case.priority,
        "app",
    )


def test_a_late_reply_writes_a_breached_row(agent):
    case = open_case(received_at=sh(2026, 1, 5, 9, 0))
    case_reply(actor=agent, case=case, body="sorry for the wait")
    c = clock(case, "first_response")
    row = stop_row(case, "first_response")
    expected = facts.business_minutes(calendar_spec(None), c.started_at, c.stopped_at, 0)
    assert (row.state, row.business_minutes) == (ClockState.BREACHED, expected)
    assert expected > 120


def test_the_row_leaves_out_the_business_time_paused(agent, freezer):
    freezer.move_to(sh(2026, 9, 28, 10, 0))
    case = open_case()
    case_transition(actor=agent, case=case, to=Status.WAITING_CUSTOMER)
    freezer.move_to(sh(2026, 9, 29, 11, 30))  # 10.5 business hours paused
    case_customer_message(actor=staff("intake", username="app"), case=case, body="我补充一下")
    freezer.move_to(sh(2026, 9, 29, 12, 0))
    case_reply(actor=agent, case=Case.objects.get(pk=case.pk), body="已处理")

    # 10:00 → 18:00 and 09:00 → 12:00 = 660 business minutes, less 630 paused
    assert stop_row(case, "first_response").business_minutes == 30.0
    assert stop_row(case, "next_response").business_minutes == 30.0  # 11:30 → 12:00


def test_rows_keep_the_groups_of_when_each_clock_stopped_through_a_reopen(agent, freezer):
    """A clock's row says where the case was when that clock stopped; reopening starts a new
    cycle and leaves the stopped clocks and their rows as they were."""
    freezer.move_to(sh(2026, 9, 29, 10, 0))
    case = open_case()
    recharge = case.queue_id
    freezer.move_to(sh(2026, 9, 29, 11, 0))
    case_reply(actor=agent, case=case, body="您好")
    credit = Queue.objects.get(code="credit").pk
    Case.objects.filter(pk=case.pk).update(queue=credit)  # moved on to another queue
    agent = staff("agent", "credit", username="credit_agent")
    freezer.move_to(sh(2026, 9, 30, 10, 0))
    case = case_transition(
        actor=agent, case=Case.objects.get(pk=case.pk), to=Status.RESOLVED, root_cause="user_error"
    )
    rows = dict(SlaClockStop.objects.values_list("metric", "queue_id"))
    assert rows == {
        "first_response": recharge,
        "resolution": credit,
        "regulatory_decision": credit,
    }
    before = list(SlaClockStop.objects.order_by("pk").values())

    freezer.move_to(sh(2026, 10, 8, 10, 0))
    case = case_transition(actor=agent, case=case, to=Status.IN_PROGRESS)  # reopened: cycle 2
    assert list(SlaClockStop.objects.order_by("pk").values()) == before
    freezer.move_to(sh(2026, 10, 8, 11, 0))
    case = case_transition(actor=agent, case=case, to=Status.RESOLVED, root_cause="user_error")
    case_transition(actor=agent, case=case, to=Status.CLOSED)

    again = stop_row(case, "resolution", cycle=2)
    assert (again.state, again.business_minutes, again.queue_id) == (ClockState.MET, 60.0, credit)
    assert SlaClockStop.objects.count() == 4
    assert list(SlaClockStop.objects.exclude(clock__cycle=2).order_by("pk").values()) == before


def test_a_cancelled_clock_has_no_row_and_a_rewritten_stop_replaces_it(agent):
    case = open_case()
    regulatory = clock(case, "regulatory_decision")
    sla_services._stop(regulatory, regulatory.started_at + timedelta(hours=1), None, cancel=True)
    assert regulatory.state == ClockState.CANCELLED
    assert not SlaClockStop.objects.exists()

    first = clock(case, "first_response")
    sla_services._stop(first, first.started_at, None)
    facts.record_stop(first)  # written twice: one row, the latest
    assert SlaClockStop.objects.get().clock_id == first.pk
    first.state = ClockState.ACTIVE  # should a clock ever run again, its row goes
    facts.record_stop(first)
    assert not SlaClockStop.objects.exists()


def test_a_priority_change_after_the_stop_leaves_the_row(agent, supervisor):
    case = open_case(category="recharge_wrong_amount")  # p3
    case_reply(actor=agent, case=case, body="您好")
    row = stop_row(case, "first_response")
    case_set_priority(actor=supervisor, case=Case.objects.get(pk=case.pk), priority="p1")
    assert stop_row(case, "first_response").priority == row.priority == "p3"
    assert clock(case, "resolution").amount == 3  # the running clock was re-targeted


def test_the_beat_sweep_goes_on_in_rounds_until_nothing_is_due(freezer):
    freezer.move_to(sh(2026, 9, 30, 9, 0))
    cases = [open_case() for _ in range(5)]  # p1: first response 50% at 10:00
    freezer.move_to(sh(2026, 9, 30, 10, 0, 30))
    assert sla_sweep_until_done(limit=2) == 5  # three rounds: 2, 2 and 1
    for case in cases:
        assert clock(case, "first_response").fired == "warn_50"


def test_the_beat_sweep_stops_when_its_budget_is_spent(freezer):
    freezer.move_to(sh(2026, 9, 30, 9, 0))
    [open_case() for _ in range(5)]
    freezer.move_to(sh(2026, 9, 30, 10, 0, 30))
    assert sla_sweep_until_done(limit=2, budget_seconds=0) == 2  # one round; the next beat goes on
    assert sla_sweep_until_done(limit=2, budget_seconds=0) == 2
