"""Task run time, queue wait and failures, recorded by the Celery process that ran the task.

Workers are separate processes (often on other hosts) from the web processes that answer
`/metrics`, so each observation is added, in one statement, to the database table `MetricTally`:
one row per (metric, label, bucket) holding a count and a sum. The scrape reads those few rows and
rebuilds cumulative Prometheus histograms (`metrics.py`). This is correct across any number of
processes and hosts and needs nothing but the database every process already has; the cost is one
small upsert per task run (two rows, always written in the same order, so two workers never
deadlock on them).

Queue wait is the time from publishing (`published_at`, stamped into the message header by the
publisher) to the start of the run, less any countdown/ETA the publisher asked for. It compares the
clocks of two hosts: keep them in NTP sync.
"""

import logging
import math
import time
from datetime import datetime

from django.db import DatabaseError, connection, transaction

logger = logging.getLogger(__name__)

PUBLISHED_HEADER = "published_at"
# Upper bounds (seconds) of the histogram buckets; +Inf is implied. Changing them leaves old rows
# under their old bounds: clear the table's task_* rows when you do.
RUN_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
WAIT_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)
RUN, WAIT, FAILURES = "task_run_seconds", "task_wait_seconds", "task_failures"

_UPSERT = """
INSERT INTO backoffice_metrictally (metric, label, le, count, total) VALUES {rows}
ON CONFLICT (metric, label, le) DO UPDATE
SET count = backoffice_metrictally.count + EXCLUDED.count,
    total = backoffice_metrictally.total + EXCLUDED.total
"""


def bucket(value: float, bounds: tuple[float, ...]) -> float:
    """The upper bound of the (non-cumulative) bucket that holds `value`."""
    return next((bound for bound in bounds if value <= bound), math.inf)


def tally(observations: list[tuple[str, str, float, float]]) -> None:
    """Add (metric, label, bucket bound, value) observations, each counting once, in one statement.

    Never raises: a metric is not worth failing (or retrying) a task for; the failure is logged.
    """
    if not observations:
        return
    rows = sorted(observations)  # one lock order for every writer
    params = [v for metric, label, le, value in rows for v in (metric, label[:200], le, 1, value)]
    sql = _UPSERT.format(rows=", ".join(["(%s, %s, %s, %s, %s)"] * len(rows)))
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError as exc:
        logger.warning("metrics: could not record %s: %s", [r[:2] for r in rows], exc)


def count(metric: str, label: str) -> None:
    """A counter: one more `metric{label}` (for example a provider error)."""
    tally([(metric, label, math.inf, 0.0)])


# Celery signal handlers (connected in backoffice/celery.py).

_started: dict[str, tuple[float, float]] = {}


def on_before_task_publish(headers=None, **kwargs) -> None:
    if headers is not None:
        headers[PUBLISHED_HEADER] = time.time()


def _eta_timestamp(eta) -> float | None:
    if not eta:
        return None
    try:
        return (eta if isinstance(eta, datetime) else datetime.fromisoformat(eta)).timestamp()
    except (TypeError, ValueError):
        return None


def on_task_prerun(task_id=None, task=None, **kwargs) -> None:
    now = time.time()
    wait = -1.0
    published = getattr(task.request, PUBLISHED_HEADER, None) if task is not None else None
    if isinstance(published, int | float):
        ready = max(published, _eta_timestamp(getattr(task.request, "eta", None)) or 0.0)
        wait = max(0.0, now - ready)
    _started[task_id] = (time.monotonic(), wait)


def on_task_postrun(task_id=None, task=None, **kwargs) -> None:
    started = _started.pop(task_id, None)
    if started is None or task is None:
        return
    began, wait = started
    run = time.monotonic() - began
    observations = [(RUN, task.name, bucket(run, RUN_BUCKETS), run)]
    if wait >= 0:  # unknown for a message published without the header (an older release)
        observations.append((WAIT, task.name, bucket(wait, WAIT_BUCKETS), wait))
    tally(observations)


def on_task_failure(sender=None, **kwargs) -> None:
    if sender is not None:
        count(FAILURES, sender.name)
