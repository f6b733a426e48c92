"""The SLA rules, in one place: which clocks count for a case, and for one clock whether it is
on track, at risk or breached and how much time remains. The screens' badges
(`casework.views.sla`), the API's clocks (`casework.api.serializers`) and the queue overview's
counts (`sla.counts`) all ask here, in Python for a clock in hand and as SQL (`Q`) for a count,
both built from the constants below so a badge and a count never disagree
(`tests/sla/test_policy.py` checks them against each other on a grid of clocks).

* **breached**: a clock that breached, or an active one past its due time (before the sweep has
  seen it);
* **at risk**: an active clock not past due that has passed, or is due to pass, one of the
  `RISK_THRESHOLDS` (75% of its target, or the last three days of a regulatory deadline);
* **remaining**: the time left in the clock's own measure (business time unless calendar days),
  negative once overdue, frozen while paused, none once stopped.

The case's "breached" queries count a clock that breached in the case's current cycle only; the
Python rule gets the same by looking at `current_clocks(case)` only.
"""

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q

from backoffice.calendars.services import calendar_spec
from sla import engine
from sla.choices import RUNNING_STATES, ClockState, Metric, Threshold
from sla.models import SlaClock

RISK_THRESHOLDS = (Threshold.WARN_75, Threshold.DUE_SOON)

# A clock's state as the screens show it; SEVERITY orders them, worst last.
ON_TRACK, AT_RISK, BREACHED, PAUSED, MET, STOPPED, NONE = (
    "on_track",
    "at_risk",
    "breached",
    "paused",
    "met",
    "stopped",
    "none",
)
SEVERITY = [NONE, STOPPED, MET, PAUSED, ON_TRACK, AT_RISK, BREACHED]
METRIC_ORDER = {metric: i for i, metric in enumerate(Metric.values)}


# --- one clock, in Python -------------------------------------------------------------------------


def is_running(clock: SlaClock) -> bool:
    return clock.state in RUNNING_STATES


def is_breached(clock: SlaClock, now: datetime) -> bool:
    return clock.state == ClockState.BREACHED or (
        clock.state == ClockState.ACTIVE and clock.due_at <= now
    )


def is_at_risk(clock: SlaClock, now: datetime) -> bool:
    """At risk and not breached (see the module's docstring)."""
    if clock.state != ClockState.ACTIVE or clock.due_at <= now:
        return False
    fired = clock.fired.split(",")
    if any(code in fired for code in RISK_THRESHOLDS):
        return True
    return bool(
        clock.next_threshold in RISK_THRESHOLDS
        and clock.next_threshold_at
        and clock.next_threshold_at <= now
    )


def clock_state(clock: SlaClock, now: datetime) -> str:
    if is_breached(clock, now):
        return BREACHED
    if clock.state == ClockState.PAUSED:
        return PAUSED
    if clock.state == ClockState.MET:
        return MET
    if clock.state != ClockState.ACTIVE:
        return STOPPED
    return AT_RISK if is_at_risk(clock, now) else ON_TRACK


def measured_at(clock: SlaClock, now: datetime) -> datetime:
    """The moment a clock's remaining time is measured from: `now`, or when it was paused."""
    return clock.paused_at if clock.state == ClockState.PAUSED else now


def remaining(clock: SlaClock, now: datetime) -> timedelta | None:
    """The time left on a running clock in its own measure, negative once overdue, frozen while
    paused; None once stopped."""
    if not is_running(clock):
        return None
    spec = calendar_spec(clock.calendar)
    return engine.remaining(spec, clock.unit, measured_at(clock, now), clock.due_at)


def current_clocks(case) -> list[SlaClock]:
    """The clocks of the case's current cycle (refund approval clocks belong to their refunds), in
    metric order; from the case's prefetched `sla_clocks`."""
    clocks = [
        c
        for c in case.sla_clocks.all()
        if c.cycle == case.cycle and c.metric != Metric.REFUND_APPROVAL
    ]
    return sorted(clocks, key=lambda c: (METRIC_ORDER[c.metric], c.pk))


def has_running_regulatory(clocks) -> bool:
    """Whether one of these clocks is a running regulatory deadline (the one an extension moves:
    `sla.services.running_regulatory_clock` finds it in SQL by the same test)."""
    return any(c.metric == Metric.REGULATORY_DECISION and is_running(c) for c in clocks)


# --- the same rules in SQL ------------------------------------------------------------------------


def overdue_q(now: datetime) -> Q:
    return Q(state=ClockState.ACTIVE, due_at__lte=now)


def breached_q(now: datetime) -> Q:
    """Clocks that are breached now (`is_breached`)."""
    return Q(state=ClockState.BREACHED) | overdue_q(now)


def at_risk_q(now: datetime) -> Q:
    """Clocks that are at risk now (`is_at_risk`)."""
    passed = Q()
    for code in RISK_THRESHOLDS:
        passed |= Q(fired__contains=code)
    due = Q(next_threshold__in=RISK_THRESHOLDS, next_threshold_at__lte=now)
    return Q(state=ClockState.ACTIVE, due_at__gt=now) & (passed | due)


def _case_clocks():
    return SlaClock.objects.filter(case=OuterRef("pk")).exclude(metric=Metric.REFUND_APPROVAL)


def case_at_risk_q(now: datetime) -> Q:
    """Cases (`Case` rows) with a clock at risk; `& ~case_breached_q(now)` for "at risk only"."""
    return Q(Exists(_case_clocks().filter(at_risk_q(now))))


def case_breached_q(now: datetime) -> Q:
    """Cases with a clock breached in their current cycle, or running past due."""
    clocks = _case_clocks().filter(
        Q(state=ClockState.BREACHED, cycle=OuterRef("cycle")) | overdue_q(now)
    )
    return Q(Exists(clocks))
