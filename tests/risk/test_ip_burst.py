"""The feed rule: N failed top-ups from one IP within a window → watch list and flagged open cases."""

from datetime import timedelta

import pytest

from backoffice.audit.models import AuditEntry
from cases.choices import EventType
from cases.models import CaseEvent, CaseFlag, Queue
from casework.services import case_transition, recharge_orders_upsert
from risk.models import FlaggedIp, RiskRule
from tests.support.factories import staff
from tests.support.risk_factories import at, case_from, failures, flag_codes, in_english, rule

pytestmark = pytest.mark.django_db
IP = "198.51.100.7"


def feed(orders, actor=None):
    return recharge_orders_upsert(actor=actor, items=orders)


def minutes(*offsets, start=None):
    """Times at these minute offsets (floats allowed) from 10:00."""
    start = start or at(10)
    return [start + timedelta(minutes=m) for m in offsets]


def watched() -> set[str]:
    return set(FlaggedIp.objects.filter(status="active").values_list("ip", flat=True))


@pytest.mark.parametrize(
    ("offsets", "burst"),
    [
        ((0, 1, 2, 3, 4), True),  # exactly N within the window
        ((0, 1, 2, 3), False),  # N - 1
        ((0, 2.5, 5, 7.5, 10), True),  # the first failure exactly at the window's start: in
        ((-1 / 60, 2.5, 5, 7.5, 10), False),  # one second earlier: out
        ((0, 3, 6, 9, 12, 15, 18), False),  # steady failures, never 5 in 10 minutes
        ((0, 1, 2, 3, 4, 5, 6), True),  # above N
    ],
)
def test_n_failures_within_the_window_put_the_ip_on_the_watch_list(offsets, burst):
    feed(failures(IP, minutes(*offsets)))
    assert watched() == ({IP} if burst else set())


def test_only_failed_orders_count():
    feed(failures(IP, minutes(0, 1, 2, 3), prefix="F"))
    feed(failures(IP, minutes(4), prefix="S", status="succeeded"))
    feed(failures(IP, minutes(5), prefix="P", status="pending"))
    assert watched() == set()
    feed(failures(IP, minutes(10.5), prefix="G"))  # 1, 2, 3 and 10.5 within 10 minutes: 4
    assert watched() == set()
    feed(failures(IP, minutes(9), prefix="H"))  # 0, 1, 2, 3 and 9: 5
    assert watched() == {IP}


def test_failures_across_batches_and_late_arrivals_count():
    feed(failures(IP, minutes(5, 6, 7, 8), prefix="A"))
    assert watched() == set()
    feed(failures(IP, minutes(1), prefix="LATE"))  # arrives last, placed first: joins the window
    entry = FlaggedIp.objects.get()
    assert (entry.ip, entry.status, entry.failures) == (IP, "active", 5)
    assert (entry.burst_from, entry.burst_to) == (at(10, 1), at(10, 8))
    assert (entry.first_seen, entry.last_seen) == (at(10, 1), at(10, 8))


def test_the_watch_list_entry_follows_later_bursts():
    feed(failures(IP, minutes(0, 1, 2, 3, 4), prefix="A"))
    feed(failures(IP, minutes(60, 61, 62, 63, 64, 65, 66), prefix="B"))
    entry = FlaggedIp.objects.get()
    assert (entry.first_seen, entry.last_seen) == (at(10, 0), at(11, 6))
    assert (entry.failures, entry.burst_from, entry.burst_to) == (7, at(11, 0), at(11, 6))


def test_open_cases_linked_to_orders_in_the_window_are_flagged_with_the_evidence():
    inside = case_from(IP, at(10, 3), n=1)
    before = case_from(IP, at(9, 0), n=2)  # same IP, an hour earlier: outside the burst
    other_ip = case_from("198.51.100.8", at(10, 3), n=3)
    closed = case_from(IP, at(10, 4), n=4)
    agent = staff("agent", "recharge")
    case_transition(actor=agent, case=closed, to="resolved", root_cause="fraud")
    case_transition(actor=agent, case=closed, to="closed")
    feed(failures(IP, [at(10, 1), at(10, 2), at(10, 5), at(10, 7), at(10, 8), at(10, 9)]))
    assert flag_codes(inside) == ["ip_failure_burst"]
    assert flag_codes(before) == flag_codes(other_ip) == flag_codes(closed) == []
    flag = inside.flags.get()
    assert (
        in_english(flag.detail) == f"6 failed top-ups from {IP} between 2026-09-30 10:01 and 10:09"
    )
    event = inside.events.get(type=EventType.FLAG_RAISED)
    assert event.payload == {"code": "ip_failure_burst", "detail": flag.detail}
    audit = AuditEntry.objects.get(action="risk.ip_burst")
    assert audit.object_id == IP
    assert [c["case"] for c in audit.payload["cases"]] == [inside.reference]


def test_the_cases_own_failed_order_counts_toward_the_burst():
    case = case_from(IP, at(10, 0), status="failed")
    feed(failures(IP, minutes(1, 2, 3, 4)))
    assert flag_codes(case) == ["ip_failure_burst"]
    assert in_english(case.flags.get().detail).startswith(f"5 failed top-ups from {IP} between")


def test_a_replayed_feed_never_duplicates_flags_events_or_audit():
    case = case_from(IP, at(10, 3))
    batch = failures(IP, minutes(0, 1, 2, 3, 4))
    feed(batch)
    events, audits = CaseEvent.objects.count(), AuditEntry.objects.filter(action="risk.ip_burst")
    assert audits.count() == 1
    feed(batch)
    feed(failures(IP, minutes(5), prefix="MORE"))  # a longer burst: same case, already flagged
    assert CaseFlag.objects.filter(case=case).count() == 1
    assert CaseEvent.objects.count() == events
    assert FlaggedIp.objects.get().failures == 6
    assert audits.count() == 2  # the entry widened; no case flagged twice


def test_raise_priority_retargets_the_sla_clocks():
    case = case_from(IP, at(10, 3), category="recharge_wrong_amount")  # p3
    clock = case.sla_clocks.get(metric="first_response")
    due_before = clock.due_at
    feed(failures(IP, minutes(0, 1, 2, 3, 4)))
    case.refresh_from_db()
    clock.refresh_from_db()
    assert case.priority == "p2"
    assert clock.due_at != due_before
    assert (clock.amount, clock.unit) == (240, "business_minutes")
    changed = case.events.get(type=EventType.PRIORITY_CHANGED)
    assert changed.payload == {"from": "p3", "to": "p2", "reason": "risk rule ip_failure_burst"}
    assert case.events.filter(type=EventType.SLA, payload__action="retarget").exists()
    assert case.next_due_at == min(
        c.due_at for c in case.sla_clocks.filter(state="active").exclude(metric="refund_approval")
    )


def test_route_to_queue_moves_flagged_cases():
    rule("ip_failure_burst", action="route_to_queue", queue=Queue.objects.get(code="escalation"))
    case = case_from(IP, at(10, 3))
    feed(failures(IP, minutes(0, 1, 2, 3, 4)))
    case.refresh_from_db()
    assert (case.queue.code, case.priority) == ("escalation", "p1")
    routed = case.events.filter(type=EventType.ROUTED).last()
    assert routed.payload == {
        "queue": "escalation",
        "priority": "p1",
        "rule": "risk:ip_failure_burst",
    }


def test_flag_action_only_flags():
    rule("ip_failure_burst", action="flag")
    case = case_from(IP, at(10, 3), category="recharge_wrong_amount")
    feed(failures(IP, minutes(0, 1, 2, 3, 4)))
    case.refresh_from_db()
    assert flag_codes(case) == ["ip_failure_burst"]
    assert case.priority == "p3"


def test_thresholds_are_data():
    rule("ip_failure_burst", threshold=3, window_minutes=2)
    feed(failures(IP, minutes(0, 1, 2), prefix="A"))
    feed(failures("198.51.100.8", minutes(0, 1.5, 3), prefix="B"))
    assert watched() == {IP}


def test_a_disabled_rule_watches_and_flags_nothing():
    RiskRule.objects.filter(code="ip_failure_burst").update(enabled=False)
    case = case_from(IP, at(10, 3))
    feed(failures(IP, minutes(0, 1, 2, 3, 4, 5, 6)))
    assert FlaggedIp.objects.count() == 0
    assert flag_codes(case) == []


def test_a_cleared_ip_needs_a_new_burst_after_the_cleared_one():
    from risk.services import risk_ip_clear

    first = case_from(IP, at(10, 3), n=1)
    feed(failures(IP, minutes(0, 1, 2, 3, 4), prefix="A"))
    risk_ip_clear(actor=staff("supervisor"), ip=IP, reason="school network")
    feed(failures(IP, minutes(0, 1, 2, 3, 4), prefix="A"))  # the same burst again
    feed(failures(IP, minutes(5, 6), prefix="B"))  # two more, close to the cleared burst
    assert watched() == set()
    later = case_from(IP, at(10, 8), n=2)
    feed(failures(IP, minutes(7, 8, 9), prefix="C"))  # 5 new failures after the cleared burst
    entry = FlaggedIp.objects.get()
    assert (entry.status, entry.failures, entry.clear_reason, entry.cleared_by) == (
        "active",
        5,
        "",
        None,
    )
    assert flag_codes(later) == ["ip_failure_burst"]
    assert flag_codes(first) == []  # its flag was cleared by a supervisor and stays cleared
    assert flag_codes(first, active=False) == ["ip_failure_burst"]
