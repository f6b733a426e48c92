"""Pure clock arithmetic: due times and threshold instants from a clock's facts and a calendar.

Business units (`business_minutes`, `working_days`) are measured in business time of the calendar;
`calendar_days` in wall-clock time. A pause of business length P moves the due time and every
threshold later by exactly P of business time.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from backoffice.calendars import timecalc
from backoffice.calendars.timecalc import CalendarSpec
from sla.choices import Threshold, Unit

DUE_SOON_BEFORE = timedelta(days=3)
WARN_FRACTIONS = ((Threshold.WARN_50, 0.5), (Threshold.WARN_75, 0.75))
_ORDER = {code: i for i, code in enumerate(Threshold.values)}


def measure(spec: CalendarSpec, unit: str, a: datetime, b: datetime) -> timedelta:
    """The time from a to b that counts for this unit (negative when b is before a)."""
    if unit == Unit.CALENDAR_DAYS:
        return b - a
    if b < a:
        return -timecalc.business_time_between(spec, b, a)
    return timecalc.business_time_between(spec, a, b)


def advance(spec: CalendarSpec, unit: str, start: datetime, span: timedelta) -> datetime:
    if unit == Unit.CALENDAR_DAYS:
        return start + span
    return timecalc.add_business_time(spec, start, span)


@dataclass(frozen=True)
class ClockTimes:
    base_due: datetime  # without pauses
    due_at: datetime  # with the business time spent paused
    thresholds: list[tuple[str, datetime]]  # in time order, breach last


def compute(
    spec: CalendarSpec,
    *,
    unit: str,
    amount: int,
    started_at: datetime,
    paused: timedelta = timedelta(0),
    regulatory: bool = False,
) -> ClockTimes:
    base_due = timecalc.add(spec, started_at, amount, unit)
    span = measure(spec, unit, started_at, base_due)
    due_at = advance(spec, unit, base_due, paused) if paused else base_due
    points = [
        (code, advance(spec, unit, started_at, span * fraction + paused))
        for code, fraction in WARN_FRACTIONS
    ]
    if regulatory and due_at - DUE_SOON_BEFORE > started_at:
        points.append((Threshold.DUE_SOON, due_at - DUE_SOON_BEFORE))
    points.sort(key=lambda p: (p[1], _ORDER[p[0]]))
    points.append((Threshold.BREACH, due_at))
    return ClockTimes(base_due=base_due, due_at=due_at, thresholds=points)


def remaining(spec: CalendarSpec, unit: str, now: datetime, due_at: datetime) -> timedelta:
    """Time left until due in the clock's unit of measure (negative once overdue)."""
    return measure(spec, unit, now, due_at)
