"""`sla.policy` states each SLA rule twice, in Python for a clock in hand (the badges, the API) and
as SQL for a count (the queue overview). Both must say the same for every clock: a grid of clocks
running, paused, stopped and breached, due just before, at and just after now, with thresholds
passed or pending just before, at and just after now, in this cycle and the one before."""

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Case, Queue
from sla import policy
from sla.choices import ClockState, Metric, Threshold
from sla.counts import queue_counts
from sla.models import SlaClock
from tests.support.factories import open_case

pytestmark = pytest.mark.django_db

SECOND, HOUR = timedelta(seconds=1), timedelta(hours=1)
STATES = [
    ClockState.ACTIVE,
    ClockState.PAUSED,
    ClockState.MET,
    ClockState.BREACHED,
    ClockState.CANCELLED,
]
DUE = [-HOUR, -SECOND, timedelta(0), SECOND, HOUR]
FIRED = ["", "warn_50", "warn_50,warn_75", "due_soon", "warn_50,warn_75,breach"]
NEXT = [
    ("", None),
    (Threshold.WARN_50, -HOUR),
    (Threshold.WARN_75, -SECOND),
    (Threshold.WARN_75, timedelta(0)),
    (Threshold.WARN_75, SECOND),
    (Threshold.DUE_SOON, -HOUR),
    (Threshold.DUE_SOON, HOUR),
    (Threshold.BREACH, -HOUR),
]


@pytest.fixture
def one_clock_case():
    """A case whose first-response clock is the only clock that counts (the others cancelled)."""
    case = open_case(customer_id="P1")
    clock = SlaClock.objects.get(case=case, metric=Metric.FIRST_RESPONSE)
    SlaClock.objects.filter(case=case).exclude(pk=clock.pk).update(
        state=ClockState.CANCELLED, stopped_at=timezone.now(), next_threshold_at=None
    )
    return case, clock


def _set(clock: SlaClock, now, state, due, fired, nxt, cycle) -> None:
    code, at = nxt
    clock.state, clock.due_at, clock.fired, clock.cycle = state, now + due, fired, cycle
    clock.next_threshold, clock.next_threshold_at = code, None if at is None else now + at
    clock.paused_at = now - HOUR if state == ClockState.PAUSED else None
    clock.save()


def test_python_and_sql_agree_on_every_clock_of_the_grid(one_clock_case):
    case, clock = one_clock_case
    now = timezone.now()
    queue = Queue.objects.get(pk=case.queue_id)
    checked, disagreements = 0, []
    at_risk_seen = breached_seen = 0
    for state, due, fired, nxt, cycle in itertools.product(
        STATES, DUE, FIRED, NEXT, (case.cycle, case.cycle + 1)
    ):
        if cycle != case.cycle and state in (ClockState.ACTIVE, ClockState.PAUSED):
            continue  # resolving stops every clock: a running clock is always of the current cycle
        Case.objects.filter(pk=case.pk).update(cycle=cycle)
        _set(clock, now, state, due, fired, nxt, cycle=case.cycle)
        # one clock, Python against SQL
        rows = SlaClock.objects.filter(pk=clock.pk)
        py = (policy.is_at_risk(clock, now), policy.is_breached(clock, now))
        sql = (
            rows.filter(policy.at_risk_q(now)).exists(),
            rows.filter(policy.breached_q(now)).exists(),
        )
        # the case, Python (its current clocks) against SQL (the counts' subqueries)
        fresh = Case.objects.prefetch_related("sla_clocks__calendar").get(pk=case.pk)
        states = {policy.clock_state(c, now) for c in policy.current_clocks(fresh)}
        worst = max(states or {policy.NONE}, key=policy.SEVERITY.index)
        counts = queue_counts([queue.pk], now)[queue.pk]
        case_py = (worst == policy.AT_RISK, worst == policy.BREACHED)
        case_sql = (counts["at_risk"] == 1, counts["breached"] == 1)
        checked += 1
        at_risk_seen += case_py[0]
        breached_seen += case_py[1]
        if py != sql or case_py != case_sql:
            disagreements.append((state, due, fired, nxt, cycle, py, sql, case_py, case_sql))
    assert disagreements == []
    # the grid reaches every outcome, so the agreement is not that of two rules saying "no"
    assert checked > 1000 and at_risk_seen > 50 and breached_seen > 100


@pytest.mark.parametrize(
    ("state", "due", "fired", "nxt", "expected"),
    [
        (ClockState.ACTIVE, HOUR, "", ("", None), policy.ON_TRACK),
        (ClockState.ACTIVE, HOUR, "warn_50", (Threshold.WARN_75, SECOND), policy.ON_TRACK),
        (ClockState.ACTIVE, HOUR, "warn_50", (Threshold.WARN_75, timedelta(0)), policy.AT_RISK),
        (ClockState.ACTIVE, HOUR, "warn_50,warn_75", ("", None), policy.AT_RISK),
        (ClockState.ACTIVE, HOUR, "due_soon", ("", None), policy.AT_RISK),
        (ClockState.ACTIVE, timedelta(0), "", ("", None), policy.BREACHED),
        (ClockState.ACTIVE, SECOND, "warn_50,warn_75", ("", None), policy.AT_RISK),
        (ClockState.PAUSED, -HOUR, "warn_50,warn_75", ("", None), policy.PAUSED),
        (ClockState.BREACHED, HOUR, "", ("", None), policy.BREACHED),
        (ClockState.MET, -HOUR, "", ("", None), policy.MET),
        (ClockState.CANCELLED, -HOUR, "", ("", None), policy.STOPPED),
    ],
)
def test_clock_state_near_each_threshold(one_clock_case, state, due, fired, nxt, expected):
    case, clock = one_clock_case
    now = timezone.now()
    _set(clock, now, state, due, fired, nxt, cycle=case.cycle)
    assert policy.clock_state(clock, now) == expected


def test_remaining_time_runs_freezes_and_stops(one_clock_case):
    case, clock = one_clock_case
    now = timezone.now()
    left = policy.remaining(clock, now)
    assert left is not None and policy.remaining(clock, now + HOUR) <= left
    _set(clock, now, ClockState.PAUSED, HOUR * 30, "", ("", None), cycle=case.cycle)
    assert policy.remaining(clock, now) == policy.remaining(clock, now + 10 * HOUR)
    _set(clock, now, ClockState.MET, HOUR, "", ("", None), cycle=case.cycle)
    assert policy.remaining(clock, now) is None
