"""The fact row of a stopped clock (`SlaClockStop`): what the SLA report aggregates.

A clock's business minutes are the business time of its calendar from ``started_at`` to
``stopped_at`` less the business time it spent paused (``paused_seconds``), never below zero. The
group fields (queue, assignee, category, priority, channel) are the case's when the clock stops.

* ``record_stop`` writes (or rewrites) the row of one clock; the SLA service calls it in the
  transaction that stops the clock (``sla.services._stop``). A clock that is not met or
  breached has no row.
* ``backfill`` writes the rows of stopped clocks that have none: one set-based ``INSERT … SELECT``
  on PostgreSQL (``backfill_postgresql``, also used by ``bench/seed.py``), Python elsewhere.

On PostgreSQL the business time is the difference of one running total per calendar day
(``backoffice.calendars.business.BusinessIndex``) sent to the server as arrays indexed by the local day
number, which is arithmetic on the epoch when the calendars' zones keep one UTC offset over the
span (Asia/Shanghai has had no daylight saving since 1991); otherwise the Python path runs.
"""

from __future__ import annotations

from datetime import date, datetime, time

from django.db import connections
from django.db.models import Exists, OuterRef

from backoffice.cache import cached
from backoffice.calendars.business import ONE_DAY, BusinessIndex
from backoffice.calendars.models import BusinessCalendar
from backoffice.calendars.services import calendar_spec
from backoffice.calendars.timecalc import CalendarSpec, business_time_between
from sla.choices import ClockState
from sla.models import SlaClock, SlaClockStop

STOPPED_STATES = (ClockState.MET, ClockState.BREACHED)
GROUP_FIELDS = ("queue_id", "assignee_id", "category", "priority", "channel")
DAY_SECONDS = 86400
BATCH = 2000


def business_minutes(
    spec: CalendarSpec, started_at: datetime, stopped_at: datetime, paused_seconds: float
) -> float:
    seconds = business_time_between(spec, started_at, stopped_at).total_seconds()
    return max(seconds - paused_seconds, 0.0) / 60.0


def record_stop(clock: SlaClock) -> None:
    """Write the fact row of a clock that has just stopped (met or breached), with its case's
    group fields as they are now; remove it if the clock is not (or no longer) stopped."""
    if clock.state not in STOPPED_STATES or clock.stopped_at is None:
        SlaClockStop.objects.filter(clock_id=clock.pk).delete()
        return
    case = clock.case
    fact = SlaClockStop(
        clock=clock,
        stopped_at=clock.stopped_at,
        state=clock.state,
        metric=clock.metric,
        business_minutes=business_minutes(
            calendar_spec(_calendar(clock)),
            clock.started_at,
            clock.stopped_at,
            clock.paused_seconds,
        ),
        **{name: getattr(case, name) for name in GROUP_FIELDS},
    )
    SlaClockStop.objects.bulk_create(
        [fact],
        update_conflicts=True,
        unique_fields=["clock"],
        update_fields=["stopped_at", "state", "metric", "business_minutes", *GROUP_FIELDS],
    )


def _calendar(clock: SlaClock) -> BusinessCalendar:
    """The clock's calendar without a query per clock: the few calendars are configuration, kept
    like the SLA policies (``backoffice.cache``, a short time per process)."""
    if SlaClock.calendar.is_cached(clock):
        return clock.calendar
    calendars = cached("calendar.by_id", lambda: {c.pk: c for c in BusinessCalendar.objects.all()})
    return calendars.get(clock.calendar_id) or clock.calendar


# --- backfill --------------------------------------------------------------------------------------


def backfill(using: str = "default") -> int:
    """Write the rows of every stopped clock that has none; the number written."""
    connection = connections[using]
    specs = {
        calendar.pk: calendar_spec(calendar)
        for calendar in BusinessCalendar.objects.using(using).all()
    }
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            written = backfill_postgresql(cursor, specs)
        if written is not None:
            return written
    return _backfill_python(using, specs)


def _missing(using: str):
    return (
        SlaClock.objects.using(using)
        .filter(state__in=STOPPED_STATES, stopped_at__isnull=False)
        .filter(~Exists(SlaClockStop.objects.using(using).filter(clock_id=OuterRef("pk"))))
    )


def _backfill_python(using: str, specs: dict) -> int:
    written, batch = 0, []
    rows = (
        _missing(using)
        .order_by("pk")
        .values_list(
            "pk", "stopped_at", "state", "metric", "started_at", "paused_seconds", "calendar_id",
            *(f"case__{name}" for name in GROUP_FIELDS),
        )
    )  # fmt: skip
    for pk, stopped, state, metric, started, paused, calendar_id, *group in rows.iterator():
        batch.append(
            SlaClockStop(
                clock_id=pk,
                stopped_at=stopped,
                state=state,
                metric=metric,
                business_minutes=business_minutes(specs[calendar_id], started, stopped, paused),
                **dict(zip(GROUP_FIELDS, group, strict=True)),
            )
        )
        if len(batch) >= BATCH:
            written += len(SlaClockStop.objects.using(using).bulk_create(batch))
            batch = []
    if batch:
        written += len(SlaClockStop.objects.using(using).bulk_create(batch))
    return written


# Business seconds from the span's start to a clock's timestamp column: the running total of its
# local day plus the part of that day's business hours gone by then. `e` is the local epoch, `d`
# the local day number; `k.c` is the calendar's row in the arrays, `cal.base` the first day number.
_E = "(date_part('epoch', s.{column}) + cal.off)"
_D = "floor({e} / 86400)::int"
_AT = (
    "(cal.cum[k.c][{d} - cal.base + 1]"
    " + LEAST(GREATEST({e} - {d} * 86400 - cal.opens[k.c], 0), cal.span[k.c][{d} - cal.base + 1]))"
)


def _at(column: str) -> str:
    e = _E.format(column=column)
    return _AT.format(e=e, d=_D.format(e=e))


_STOPPED = """
FROM cases_slaclock s
WHERE s.state IN ('met', 'breached') AND s.stopped_at IS NOT NULL
  AND NOT EXISTS (SELECT FROM cases_slaclockstop f WHERE f.clock_id = s.id)
"""
_SPAN = "SELECT min(least(s.started_at, s.stopped_at)), max(greatest(s.started_at, s.stopped_at))"
_INSERT = """
WITH cal AS (
    SELECT %s::bigint[] AS ids, %s::float8[] AS opens, %s::float8[] AS cum, %s::float8[] AS span,
        %s::int AS base, %s::int AS off
)
INSERT INTO cases_slaclockstop (clock_id, stopped_at, state, metric, business_minutes,
    queue_id, assignee_id, category, priority, channel)
SELECT s.id, s.stopped_at, s.state, s.metric,
    GREATEST({stop} - {start} - s.paused_seconds, 0) / 60.0,
    c.queue_id, c.assignee_id, c.category, c.priority, c.channel
FROM cases_slaclock s
JOIN cases_case c ON c.id = s.case_id
CROSS JOIN cal
CROSS JOIN LATERAL (SELECT array_position(cal.ids, s.calendar_id) AS c) k
WHERE s.state IN ('met', 'breached') AND s.stopped_at IS NOT NULL
  AND NOT EXISTS (SELECT FROM cases_slaclockstop f WHERE f.clock_id = s.id)
ORDER BY s.id
"""


def backfill_postgresql(cursor, specs: dict[int, CalendarSpec]) -> int | None:
    """One ``INSERT … SELECT`` over a DB-API cursor (Django's or psycopg's); None (nothing done)
    when a calendar's zone changes its UTC offset over the clocks' span."""
    cursor.execute(_SPAN + _STOPPED)
    low, high = cursor.fetchone()
    if low is None or not specs:
        return 0
    spans = [(spec.local_date(low), spec.local_date(high)) for spec in specs.values()]
    first, last = min(s[0] for s in spans) - ONE_DAY, max(s[1] for s in spans) + ONE_DAY
    offset = fixed_offset(specs, first, last)
    if offset is None:
        return None
    cursor.execute(
        _INSERT.format(start=_at("started_at"), stop=_at("stopped_at")),
        _arrays(specs, first, last, offset),
    )
    return cursor.rowcount


def fixed_offset(specs: dict, first: date, last: date) -> int | None:
    """The UTC offset in seconds every calendar's zone keeps over the span, or None."""
    offsets = set()
    for spec in specs.values():
        day = first
        while day <= last:
            offsets.add(spec.zone.utcoffset(datetime.combine(day, time(12))))
            day += ONE_DAY
        for moment in (datetime.combine(first, time.min), datetime.combine(last, time.max)):
            offsets.add(spec.zone.utcoffset(moment))
        if len(offsets) > 1:
            return None
    return int(offsets.pop().total_seconds()) if offsets else None


def _arrays(specs: dict, first: date, last: date, offset: int) -> list:
    """ids, opening seconds of the local day, and per calendar × day the running total and the
    business seconds of the day (0 on a day off); then the first day's number and the offset."""
    ids, opens, cums, spans = [], [], [], []
    for calendar_id, spec in specs.items():
        rows = BusinessIndex(spec, first, last).rows
        ids.append(calendar_id)
        opens.append(rows[0].opens + offset - _day_number(first) * DAY_SECONDS)
        cums.append([row.cum for row in rows])
        spans.append([row.closes - row.opens for row in rows])
    return [ids, opens, cums, spans, _day_number(first), offset]


def _day_number(day: date) -> int:
    return (day - date(1970, 1, 1)).days
