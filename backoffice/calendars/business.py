"""Business time of many clocks at once, as the difference of one running total.

For a span of local dates of one calendar, ``B(t)`` is the business time from the start of the span
to the moment ``t``: the business seconds of the span's working days before ``t``'s local date, plus
the part of that day's business hours already gone at ``t``. Business time from ``a`` to ``b`` is
then ``B(b) - B(a)``, which is exactly what ``timecalc.business_time_between`` walks day by day
(``tests/backoffice/test_business.py`` checks it against that function), in O(1) per moment.

Each day of the span is one row (``DayRow``): the running total before the day, and the day's
opening and closing as UTC epoch seconds (closing equals opening on a day off, so a day off adds
nothing). ``sla.facts`` hands the same rows to PostgreSQL to backfill the stopped clocks'
business minutes in one statement; the ageing report counts working days with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from backoffice.calendars.timecalc import CalendarSpec

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class DayRow:
    day: date
    cum: float  # business seconds of the span's working days before this day
    opens: float  # the day's business opening, UTC epoch seconds
    closes: float  # its closing; equal to `opens` on a day off


class BusinessIndex:
    """Running business time over the local dates ``first`` … ``last`` of one calendar."""

    def __init__(self, spec: CalendarSpec, first: date, last: date):
        if last < first:
            raise ValueError("last must not be before first")
        self.spec, self.first, self.last = spec, first, last
        self._rows: dict[date, DayRow] = {}
        self._worked: dict[date, int] = {}  # working days in [first, day]
        cum, worked, day = 0.0, 0, first
        while day <= last:
            opens = spec.opening(day).timestamp()
            working = spec.is_working_day(day)
            closes = spec.closing(day).timestamp() if working else opens
            self._rows[day] = DayRow(day, cum, opens, closes)
            cum += closes - opens
            worked += working
            self._worked[day] = worked
            day += ONE_DAY

    @property
    def rows(self) -> list[DayRow]:
        return list(self._rows.values())

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last

    def seconds_at(self, moment: datetime) -> float:
        """``B(moment)``; ``KeyError`` when the moment's local date is outside the span."""
        row = self._rows[self.spec.local_date(moment)]
        return row.cum + min(max(moment.timestamp() - row.opens, 0.0), row.closes - row.opens)

    def seconds_between(self, a: datetime, b: datetime) -> float:
        """Business seconds from ``a`` to ``b`` (zero when ``b`` is not after ``a``)."""
        return max(self.seconds_at(b) - self.seconds_at(a), 0.0)

    def working_days_after(self, day: date, until: date) -> int:
        """Working days in ``(day, until]``: the start day never counts (Civil Code Art. 201)."""
        if until <= day:
            return 0
        return self._worked[until] - self._worked[day]


def percentile_cont(values: list[float], fraction: float) -> float | None:
    """PostgreSQL's ``percentile_cont``: linear interpolation between the two nearest ranks
    (position ``fraction × (n − 1)`` in the sorted values); ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)
