"""The clock figures of the SLA report per group: met, breached, and the median and 90th
percentile of first response and resolution in business minutes.

They are read from the fact rows of stopped clocks (``SlaClockStop``, written by the SLA service
when a clock stops: ``sla.facts``), those stopped (met or breached) in the period: every
metric for the counts, the ``first_response`` and ``resolution`` rows for the percentiles. A row
holds the clock's business minutes (business time of its calendar from start to stop less the time
paused, never below zero) and the case's group fields **when the clock stopped**: "queue" is the
queue the case was in when the clock stopped, not the one it is in now. Percentiles are
PostgreSQL's ``percentile_cont`` (linear interpolation between the nearest ranks), rounded to one
decimal.

* **PostgreSQL**: one statement over the ``stopped_at`` range of the covering index
  ``clock_stop_stopped``, no join; ``count(*) FILTER`` and one ``percentile_cont(ARRAY[…])`` per
  metric, so each metric's values are sorted once.
* **Elsewhere** (SQLite in tests and the embedded default): one count query and compact
  ``(group, metric, minutes)`` rows ranked here.

Both give the same numbers: ``tests/reports`` checks hand-computed figures on both databases and
runs both implementations against each other on PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, F, Q

from backoffice.calendars.business import percentile_cont
from backoffice.db.replica import read_connection
from reports.params import Period
from sla.choices import ClockState, Metric
from sla.facts import GROUP_FIELDS
from sla.models import SlaClockStop

METRICS = (Metric.FIRST_RESPONSE.value, Metric.RESOLUTION.value)


@dataclass
class ClockFigures:
    met: int = 0
    breached: int = 0
    first_response_median: float | None = None
    first_response_p90: float | None = None
    resolution_median: float | None = None
    resolution_p90: float | None = None


def stopped(period: Period):
    """The fact rows of the clocks stopped (met or breached) in the period."""
    start, end = period.bounds
    return SlaClockStop.objects.filter(stopped_at__gte=start, stopped_at__lt=end).order_by()


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def clock_figures(period: Period, key: str) -> dict[object, ClockFigures]:
    """``{group key: ClockFigures}`` for the groups with a clock stopped in the period; ``key`` is
    the group field of the fact row (``queue_id``, ``assignee_id``, ``category``, …)."""
    if key not in GROUP_FIELDS:
        raise ValueError(f"not a group field: {key!r}")
    if connection.vendor == "postgresql":
        return _in_sql(period, key)
    return in_python(period, key)


# --- PostgreSQL -----------------------------------------------------------------------------------

_SQL = """
SELECT {key},
    count(*) FILTER (WHERE state = 'met'),
    count(*) FILTER (WHERE state = 'breached'),
    percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY business_minutes)
        FILTER (WHERE metric = 'first_response'),
    percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY business_minutes)
        FILTER (WHERE metric = 'resolution')
FROM {table}
WHERE stopped_at >= %s AND stopped_at < %s
GROUP BY {key}
"""
# Per statement (SET LOCAL, inside the report's transaction): sort in memory, and no JIT, whose
# compilation costs more than it saves on this statement.
_SETTINGS = ("SET LOCAL work_mem = '64MB'", "SET LOCAL jit = off")


def _in_sql(period: Period, key: str) -> dict[object, ClockFigures]:
    db = read_connection()  # the replica's inside a report's `on_replica`
    quote = db.ops.quote_name
    sql = _SQL.format(key=quote(key), table=quote(SlaClockStop._meta.db_table))
    with transaction.atomic(using=db.alias), db.cursor() as cursor:
        for setting in _SETTINGS:
            cursor.execute(setting)
        cursor.execute(sql, list(period.bounds))
        rows = cursor.fetchall()
    return {
        grp: ClockFigures(met, breached, *_pair(first_response), *_pair(resolution))
        for grp, met, breached, first_response, resolution in rows
    }


def _pair(values: list[float] | None) -> tuple[float | None, float | None]:
    return (None, None) if values is None else (_round(values[0]), _round(values[1]))


# --- anywhere -------------------------------------------------------------------------------------


def in_python(period: Period, key: str) -> dict[object, ClockFigures]:
    """The same figures from one count query and compact rows ranked here."""
    figures: dict[object, ClockFigures] = defaultdict(ClockFigures)
    for row in (
        stopped(period)
        .values(grp=F(key))
        .annotate(
            met=Count("pk", filter=Q(state=ClockState.MET)),
            breached=Count("pk", filter=Q(state=ClockState.BREACHED)),
        )
    ):
        figures[row["grp"]].met, figures[row["grp"]].breached = row["met"], row["breached"]
    minutes: dict[tuple, list[float]] = defaultdict(list)
    rows = stopped(period).filter(metric__in=METRICS).values_list(key, "metric", "business_minutes")
    for grp, metric, value in rows:
        minutes[(grp, metric)].append(value)
    for (grp, metric), values in minutes.items():
        setattr(figures[grp], f"{metric}_median", _round(percentile_cont(values, 0.5)))
        setattr(figures[grp], f"{metric}_p90", _round(percentile_cont(values, 0.9)))
    return dict(figures)
