"""Deadline arithmetic on a working-day calendar: pure functions, no ORM, UTC in and UTC out.

Counting rules (spec/SLA.md, "Counting"):

* A **working day** is a Monday–Friday that is not in ``holidays``, or any date in ``workdays``
  (a weekend day declared a makeup working day, 调休上班). Dates past ``verified_through`` have no
  special rows, so they count as ordinary weekdays; callers flag such deadlines with
  :func:`past_verified`.
* **Business time** is the half-open interval ``[business_start, business_end)`` local time on each
  working day (09:00–18:00 by default, continuous, no lunch break). A moment at exactly
  ``business_end`` is outside business hours.
* ``business_minutes``: walk forward through business time only. A start outside business hours
  first snaps forward to the next opening. Landing exactly on a closing time returns that closing
  time (16:00 + 120 min → 18:00 the same day), not the next opening. **Zero minutes** returns the
  start when it is inside business hours and the next opening otherwise (so ``add(s, 0)`` is "the
  moment the clock would start running").
* ``working_days: n`` (n ≥ 1): never counts the start day (Civil Code Art. 201); due at
  ``business_end`` local time on the n-th working day after the start's local date, whatever the
  time of day or kind of the start day.
* ``calendar_days: n`` (n ≥ 0): due at 23:59:59 local time on the local date start + n.

Measuring (:func:`business_time_between`) is the exact inverse of adding: for any start ``s`` and
duration ``T`` ≥ 0, ``business_time_between(s, add_business_time(s, T)) == T`` to the microsecond,
and ``add_business_time(add_business_time(s, a), T - a) == add_business_time(s, T)`` for
``0 ≤ a < T`` (a pause does not consume business time). ``a == T`` is the one exception: the first
add may end on a closing time, which a zero-length add then snaps to the next opening.

Minutes are returned as ``float`` (exact business seconds / 60; whole minutes come back as exact
integral floats). For pause arithmetic to the microsecond use the ``timedelta`` functions
:func:`add_business_time` and :func:`business_time_between`.

Cost: one loop iteration per calendar day crossed, never per minute (60 working days or 100,000
business minutes are a few hundred iterations).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

BUSINESS_MINUTES: Final = "business_minutes"
WORKING_DAYS: Final = "working_days"
CALENDAR_DAYS: Final = "calendar_days"
UNITS: Final = (BUSINESS_MINUTES, WORKING_DAYS, CALENDAR_DAYS)

END_OF_DAY: Final = time(23, 59, 59)
_ONE_DAY: Final = timedelta(days=1)
_ZERO: Final = timedelta(0)


def zone_info(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` for an IANA name; ``ValueError`` for an unknown or malformed name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


@dataclass(frozen=True, slots=True)
class CalendarSpec:
    """An immutable snapshot of one business calendar (what the database rows say).

    ``holidays`` are weekdays off; ``workdays`` are weekend days worked. A holiday on a weekend or
    a workday on a weekday changes nothing.
    """

    time_zone: str
    business_start: time
    business_end: time
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    verified_through: date | None = None
    _zone: ZoneInfo = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_zone", zone_info(self.time_zone))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        if self.business_start.tzinfo is not None or self.business_end.tzinfo is not None:
            raise ValueError("business hours are local wall-clock times without tzinfo")
        if not self.business_start < self.business_end:
            raise ValueError("business_start must be before business_end")

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    def is_working_day(self, d: date) -> bool:
        """Monday–Friday and not a holiday, or a declared makeup working day."""
        if d in self.workdays:
            return True
        return d.weekday() < 5 and d not in self.holidays

    def local_date(self, moment: datetime) -> date:
        """The calendar's local date of an aware moment."""
        return _aware(moment).astimezone(self._zone).date()

    def opening(self, d: date) -> datetime:
        """Business opening of local date ``d``, in UTC (whether or not ``d`` is a working day)."""
        return datetime.combine(d, self.business_start, self._zone).astimezone(UTC)

    def closing(self, d: date) -> datetime:
        """Business closing of local date ``d``, in UTC (whether or not ``d`` is a working day)."""
        return datetime.combine(d, self.business_end, self._zone).astimezone(UTC)


def _aware(moment: datetime) -> datetime:
    if not isinstance(moment, datetime):
        raise TypeError(f"expected a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: pass an aware (UTC) datetime")
    return moment


def _whole(n: int, *, unit: str, minimum: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{unit} must be an int, got {type(n).__name__}")
    if n < minimum:
        raise ValueError(f"{unit} must be >= {minimum}, got {n}")
    return n


def add_business_time(spec: CalendarSpec, start: datetime, duration: timedelta) -> datetime:
    """The moment ``duration`` of business time after ``start`` (rules in the module docstring)."""
    cursor = _aware(start).astimezone(UTC)
    if duration < _ZERO:
        raise ValueError("duration must not be negative")
    remaining = duration
    day = spec.local_date(cursor)
    while True:
        if spec.is_working_day(day):
            opening, closing = spec.opening(day), spec.closing(day)
            cursor = max(cursor, opening)
            if cursor < closing:
                available = closing - cursor
                if remaining <= available:
                    return cursor + remaining
                remaining -= available
        day += _ONE_DAY


def business_time_between(spec: CalendarSpec, a: datetime, b: datetime) -> timedelta:
    """Business time elapsed from ``a`` to ``b``; zero when ``b <= a``."""
    a = _aware(a).astimezone(UTC)
    b = _aware(b).astimezone(UTC)
    if b <= a:
        return _ZERO
    total = _ZERO
    day, last = spec.local_date(a), spec.local_date(b)
    while day <= last:
        if spec.is_working_day(day):
            lo, hi = max(a, spec.opening(day)), min(b, spec.closing(day))
            if lo < hi:
                total += hi - lo
        day += _ONE_DAY
    return total


def add_business_minutes(spec: CalendarSpec, start: datetime, minutes: int | float) -> datetime:
    """``minutes`` (≥ 0) of business time after ``start``.

    2026-09-30 17:00 Shanghai + 120 → 2026-10-08 10:00 (National Day lies between).
    """
    if isinstance(minutes, bool) or not isinstance(minutes, int | float):
        raise TypeError(f"minutes must be a number, got {type(minutes).__name__}")
    return add_business_time(spec, start, timedelta(minutes=minutes))


def business_minutes_between(spec: CalendarSpec, a: datetime, b: datetime) -> float:
    """Business minutes (float, exact seconds / 60) elapsed from ``a`` to ``b``; 0.0 if ``b <= a``."""
    return business_time_between(spec, a, b) / timedelta(minutes=1)


def nth_working_day_after(spec: CalendarSpec, d: date, n: int) -> date:
    """The n-th (n ≥ 1) working day strictly after local date ``d``."""
    _whole(n, unit=WORKING_DAYS, minimum=1)
    while n:
        d += _ONE_DAY
        if spec.is_working_day(d):
            n -= 1
    return d


def add_working_days(spec: CalendarSpec, start: datetime, n: int) -> datetime:
    """Close of business on the n-th working day after the start's local date (start day not counted).

    Received 2026-09-25 (Mid-Autumn holiday) + 15 → 2026-10-22 18:00 Shanghai.
    """
    due_day = nth_working_day_after(spec, spec.local_date(start), n)
    return spec.closing(due_day)


def add_calendar_days(spec: CalendarSpec, start: datetime, n: int) -> datetime:
    """23:59:59 local time on the local date ``start + n`` (n ≥ 0; the start day is day 0)."""
    _whole(n, unit=CALENDAR_DAYS, minimum=0)
    due_day = spec.local_date(start) + timedelta(days=n)
    return datetime.combine(due_day, END_OF_DAY, spec.zone).astimezone(UTC)


def add(spec: CalendarSpec, start: datetime, amount: int | float, unit: str) -> datetime:
    """Dispatch on ``unit`` (one of :data:`UNITS`); ``ValueError`` for an unknown unit."""
    if unit == BUSINESS_MINUTES:
        return add_business_minutes(spec, start, amount)
    if unit == WORKING_DAYS:
        return add_working_days(spec, start, amount)
    if unit == CALENDAR_DAYS:
        return add_calendar_days(spec, start, amount)
    raise ValueError(f"unknown unit {unit!r}; expected one of {', '.join(UNITS)}")


def past_verified(spec: CalendarSpec, due: datetime) -> bool:
    """True when ``due`` falls on a local date the calendar has not been verified for.

    Such a deadline is still computed (unknown days count as ordinary weekdays) but must be flagged.
    """
    if spec.verified_through is None:
        return True
    return spec.local_date(due) > spec.verified_through
