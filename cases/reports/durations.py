"""The clock figures of the SLA report per group: met, breached, and the median and 90th
percentile of first response and resolution in business minutes.

The clocks are those stopped (met or breached) in the period, every metric for the counts, the
``first_response`` and ``resolution`` clocks for the percentiles. A clock's business minutes are the
business time of its calendar from ``started_at`` to ``stopped_at``, less the business time it spent
paused (``paused_seconds``), never below zero. Percentiles are PostgreSQL's ``percentile_cont``
(linear interpolation between the nearest ranks), rounded to one decimal.

Nothing new is stored. Business time needs the calendar, so each calendar's days over the span of
the clocks become running totals (``cases.reports.business.BusinessIndex``):

* **PostgreSQL** (one statement, one row per group comes back): the running totals go to the server
  as two arrays (business seconds before each day, business seconds of each day) per calendar,
  indexed by the local day number, which is plain arithmetic on the epoch because the zone's UTC
  offset is fixed over the span (Asia/Shanghai has had no daylight saving since 1991; a zone that
  changes offset goes the other way). Each clock's minutes are computed in SQL and aggregated with
  ``percentile_cont``, its counts with ``count(*) FILTER``. A clock started before the span tried
  first (the period's start less ``LOOKBACK``) comes out as NULL and is counted in ``missing``; the
  statement then runs again over the exact span.
* **Elsewhere** (SQLite in tests and the embedded default): the counts are one ORM aggregate; the
  percentile clocks come back as compact rows (group, metric, start, stop, paused seconds,
  calendar), no model instances, and are measured and ranked here with the same arithmetic.

Both give the same numbers: ``tests/reports`` checks hand-computed figures on both databases and
runs both implementations against each other on PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Count, F, Min, Q

from backoffice.calendars.models import BusinessCalendar
from backoffice.calendars.services import calendar_spec
from cases.reports.business import ONE_DAY, BusinessIndex, percentile_cont
from cases.reports.params import Period
from cases.sla.choices import ClockState, Metric
from cases.sla.models import SlaClock

METRICS = (Metric.FIRST_RESPONSE.value, Metric.RESOLUTION.value)
LOOKBACK = timedelta(days=120)
DAY_SECONDS = 86400


@dataclass
class ClockFigures:
    met: int = 0
    breached: int = 0
    first_response_median: float | None = None
    first_response_p90: float | None = None
    resolution_median: float | None = None
    resolution_p90: float | None = None


def stopped_clocks(period: Period):
    start, end = period.bounds
    return SlaClock.objects.filter(
        stopped_at__gte=start,
        stopped_at__lt=end,
        state__in=(ClockState.MET, ClockState.BREACHED),
    ).order_by()


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _specs() -> dict:
    return {calendar.pk: calendar_spec(calendar) for calendar in BusinessCalendar.objects.all()}


def clock_figures(period: Period, key: str) -> dict[object, ClockFigures]:
    """``{group key: ClockFigures}`` for the groups with a clock stopped in the period; ``key`` is
    the clock's path to the case field (``case__queue_id``)."""
    specs = _specs()
    if connection.vendor == "postgresql":
        offset = _fixed_offset(specs, period.start - LOOKBACK, period.end)
        if offset is not None:
            return _in_sql(period, key, specs, offset)
    return in_python(period, key, specs)


# --- PostgreSQL -----------------------------------------------------------------------------------


def _fixed_offset(specs: dict, first: date, last: date) -> int | None:
    """The UTC offset in seconds shared by every calendar's zone over the span, or None."""
    offsets = set()
    for spec in specs.values():
        for moment in (datetime.combine(first, time.min), datetime.combine(last, time.max)):
            offsets.add(spec.zone.utcoffset(moment))
        if len(offsets) > 1 or _has_transition(spec, first, last):
            return None
    return int(offsets.pop().total_seconds()) if offsets else None


def _has_transition(spec, first: date, last: date) -> bool:
    offset = spec.zone.utcoffset(datetime.combine(first, time.min))
    day = first
    while day <= last:
        if spec.zone.utcoffset(datetime.combine(day, time(12))) != offset:
            return True
        day += ONE_DAY
    return False


# Business seconds from the span's start to a timestamp column: the running total of its local day
# plus the part of that day's business hours gone by then. `e` is the local epoch, `d` the local day
# number; `k.c` is the calendar's row in the arrays, `cal.base` the span's first day number.
_E = "(date_part('epoch', clocks.{column}) + cal.off)"
_D = "floor({e} / 86400)::int"
_AT = (
    "(cal.cum[k.c][{d} - cal.base + 1]"
    " + LEAST(GREATEST({e} - {d} * 86400 - cal.opens[k.c], 0), cal.span[k.c][{d} - cal.base + 1]))"
)


def _at(column: str) -> str:
    e = _E.format(column=column)
    return _AT.format(e=e, d=_D.format(e=e))


# `OFFSET 0` keeps `measured` a subquery, so each clock's minutes are computed once, not once per
# aggregate; one `percentile_cont` over an array of fractions sorts each metric's values once.
# `minutes` stays NULL for a clock outside the span (GREATEST and LEAST skip NULLs, so the clamp at
# zero comes only in the aggregates).
_SQL = """
WITH cal AS (
    SELECT %s::bigint[] AS ids, %s::float8[] AS opens, %s::float8[] AS cum, %s::float8[] AS span,
        %s::int AS base, %s::int AS off
), clocks AS ({clocks})
SELECT grp,
    count(*) FILTER (WHERE state = 'met'),
    count(*) FILTER (WHERE state = 'breached'),
    count(*) FILTER (WHERE metric IN ('first_response', 'resolution') AND minutes IS NULL),
    percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY GREATEST(minutes, 0))
        FILTER (WHERE metric = 'first_response'),
    percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY GREATEST(minutes, 0))
        FILTER (WHERE metric = 'resolution')
FROM (
    SELECT clocks.grp, clocks.state, clocks.metric,
        CASE WHEN clocks.metric IN ('first_response', 'resolution') THEN
            ({stop} - {start} - clocks.paused_seconds) / 60.0
        END AS minutes
    FROM clocks CROSS JOIN cal
    CROSS JOIN LATERAL (SELECT array_position(cal.ids, clocks.calendar_id) AS c) k
    OFFSET 0
) measured
GROUP BY grp
"""
# Per statement (SET LOCAL, inside the report's transaction): sort in memory, and no JIT, whose
# compilation costs more than it saves on this statement.
_SETTINGS = ("SET LOCAL work_mem = '64MB'", "SET LOCAL jit = off")


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


def _in_sql(period: Period, key: str, specs: dict, offset: int) -> dict[object, ClockFigures]:
    clocks = stopped_clocks(period).values(
        "state", "metric", "started_at", "stopped_at", "paused_seconds", "calendar_id", grp=F(key)
    )
    clocks_sql, clocks_params = clocks.query.sql_with_params()
    sql = _SQL.format(clocks=clocks_sql, start=_at("started_at"), stop=_at("stopped_at"))
    first = period.start - LOOKBACK
    for _attempt in range(2):
        with transaction.atomic(), connection.cursor() as cursor:
            for setting in _SETTINGS:
                cursor.execute(setting)
            cursor.execute(sql, [*_arrays(specs, first, period.end, offset), *clocks_params])
            rows = cursor.fetchall()
        if not any(row[3] for row in rows):
            break
        earliest = clocks.filter(metric__in=METRICS).aggregate(first=Min("started_at"))["first"]
        first = min(next(iter(specs.values())).local_date(earliest), first)
    else:
        raise RuntimeError("clocks outside the calendar span after widening it")
    return {
        grp: ClockFigures(met, breached, *_pair(first_response), *_pair(resolution))
        for grp, met, breached, _missing, first_response, resolution in rows
    }


def _pair(values: list[float] | None) -> tuple[float | None, float | None]:
    return (None, None) if values is None else (_round(values[0]), _round(values[1]))


# --- anywhere -------------------------------------------------------------------------------------


def in_python(period: Period, key: str, specs: dict | None = None) -> dict[object, ClockFigures]:
    """The same figures from one count query and compact rows measured here."""
    specs = specs if specs is not None else _specs()
    figures: dict[object, ClockFigures] = defaultdict(ClockFigures)
    for row in (
        stopped_clocks(period)
        .values(grp=F(key))
        .annotate(
            met=Count("pk", filter=Q(state=ClockState.MET)),
            breached=Count("pk", filter=Q(state=ClockState.BREACHED)),
        )
    ):
        figures[row["grp"]].met, figures[row["grp"]].breached = row["met"], row["breached"]
    for (grp, metric), values in _minutes(period, key, specs).items():
        setattr(figures[grp], f"{metric}_median", _round(percentile_cont(values, 0.5)))
        setattr(figures[grp], f"{metric}_p90", _round(percentile_cont(values, 0.9)))
    return dict(figures)


def _minutes(period: Period, key: str, specs: dict) -> dict[tuple, list[float]]:
    rows = list(
        stopped_clocks(period)
        .filter(metric__in=METRICS)
        .values_list(F(key), "metric", "started_at", "stopped_at", "paused_seconds", "calendar_id")
    )
    indexes: dict[int, BusinessIndex] = {}
    for calendar_id in {row[5] for row in rows}:
        spec = specs[calendar_id]
        first = min(spec.local_date(row[2]) for row in rows if row[5] == calendar_id)
        last = max(spec.local_date(row[3]) for row in rows if row[5] == calendar_id)
        indexes[calendar_id] = BusinessIndex(spec, first, max(first, last))
    minutes: dict[tuple, list[float]] = defaultdict(list)
    for grp, metric, started, stopped, paused, calendar_id in rows:
        index = indexes[calendar_id]
        seconds = index.seconds_at(stopped) - index.seconds_at(started) - paused
        minutes[(grp, metric)].append(max(seconds, 0.0) / 60.0)
    return minutes
