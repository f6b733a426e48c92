"""The queue overview's counts: open, unassigned, at-risk and breached open cases per queue.

"At risk" and "breached" are `sla.policy`'s rules in SQL (`case_at_risk_q`, `case_breached_q`),
the ones the badges ask in Python, so a badge and a count never disagree.

Counting every open case on every page view costs seconds at a million cases, so the counts are
kept in `QueueCount`, refreshed by the `cases.queue_counts` beat task every `QUEUE_COUNTS_SECONDS`;
the page reads one row per queue and says when they were counted. A queue whose row is missing or
older than `QUEUE_COUNTS_MAX_AGE` seconds (beat stopped, a new queue) is counted on the spot and
stored; with `QUEUE_COUNTS_MAX_AGE = 0` every page counts live and stores nothing.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from cases.choices import OPEN_STATUSES
from cases.models import Case, Queue, QueueCount
from sla.policy import case_at_risk_q, case_breached_q

FIELDS = ("open", "unassigned", "at_risk", "breached")


def queue_counts(queue_ids, now: datetime) -> dict[int, dict]:
    """Counted now: one grouped query over the partial index of open cases by queue, each clock
    test an indexed lookup by case. Proportional to the open cases of those queues. Each queue's
    counts carry `by_status` too (open cases per status: `/metrics`' queue depth)."""
    rows = (
        Case.objects.filter(status__in=OPEN_STATUSES, queue_id__in=queue_ids)
        .order_by()
        .values("queue_id", "status")
        .annotate(
            open=Count("pk"),
            unassigned=Count("pk", filter=Q(assignee__isnull=True)),
            at_risk=Count("pk", filter=case_at_risk_q(now) & ~case_breached_q(now)),
            breached=Count("pk", filter=case_breached_q(now)),
        )
    )
    counted: dict[int, dict] = {}
    for row in rows:
        counts = counted.setdefault(row["queue_id"], {**dict.fromkeys(FIELDS, 0), "by_status": {}})
        for field in FIELDS:
            counts[field] += row[field]
        counts["by_status"][row["status"]] = row["open"]
    return counted


def refresh_queue_counts(queue_ids=None, *, now: datetime | None = None) -> dict[int, dict]:
    """Count the given queues (all by default) now and store the counts; returns them."""
    now = now or timezone.now()
    ids = (
        list(queue_ids)
        if queue_ids is not None
        else list(Queue.objects.values_list("pk", flat=True))
    )
    counted = queue_counts(ids, now)
    empty = {**dict.fromkeys(FIELDS, 0), "by_status": {}}
    stored = {pk: counted.get(pk, empty) for pk in ids}
    rows = [QueueCount(queue_id=pk, counted_at=now, **counts) for pk, counts in stored.items()]
    QueueCount.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["queue"],
        update_fields=[*FIELDS, "by_status", "counted_at"],
    )
    return stored


def overview_counts(queue_ids, *, now: datetime | None = None) -> tuple[dict[int, dict], datetime]:
    """The stored counts of these queues, those missing or stale counted now; and the oldest
    counting time shown."""
    now = now or timezone.now()
    max_age = timedelta(seconds=float(settings.QUEUE_COUNTS_MAX_AGE))
    if not max_age:  # configured to count live (small installations, the tests)
        empty = {**dict.fromkeys(FIELDS, 0), "by_status": {}}
        counted = queue_counts(queue_ids, now)
        return {pk: counted.get(pk, empty) for pk in queue_ids}, now
    stored = {
        row.queue_id: row
        for row in QueueCount.objects.filter(queue_id__in=queue_ids, counted_at__gte=now - max_age)
    }
    counts = {
        pk: {**{k: getattr(row, k) for k in FIELDS}, "by_status": row.by_status}
        for pk, row in stored.items()
    }
    missing = [pk for pk in queue_ids if pk not in stored]
    if missing:
        counts.update(refresh_queue_counts(missing, now=now))
    oldest = min((row.counted_at for row in stored.values()), default=now)
    return counts, oldest
