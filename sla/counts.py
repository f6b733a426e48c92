"""The queue overview's counts: open, unassigned, at-risk and breached open cases per queue.

The rules are the badges' (`casework/views/sla.py`) in SQL, so a badge and a count never disagree:
"at risk" is an active clock past its 75% threshold (or inside the last three days of a regulatory
deadline), "breached" a clock that breached in this cycle or is past due.

Counting every open case on every page view costs seconds at a million cases, so the counts are
kept in `QueueCount`, refreshed by the `cases.queue_counts` beat task every `QUEUE_COUNTS_SECONDS`;
the page reads one row per queue and says when they were counted. A queue whose row is missing or
older than `QUEUE_COUNTS_MAX_AGE` seconds (beat stopped, a new queue) is counted on the spot and
stored; with `QUEUE_COUNTS_MAX_AGE = 0` every page counts live and stores nothing.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from cases.choices import OPEN_STATUSES
from cases.models import Case, Queue, QueueCount
from sla.choices import ClockState, Metric, Threshold
from sla.models import SlaClock

RISK_THRESHOLDS = (Threshold.WARN_75, Threshold.DUE_SOON)
FIELDS = ("open", "unassigned", "at_risk", "breached")


def _case_clocks():
    return SlaClock.objects.filter(case=OuterRef("pk")).exclude(metric=Metric.REFUND_APPROVAL)


def at_risk_q(now: datetime) -> Q:
    passed = Q(fired__contains=Threshold.WARN_75) | Q(fired__contains=Threshold.DUE_SOON)
    due = Q(next_threshold__in=RISK_THRESHOLDS, next_threshold_at__lte=now)
    clocks = _case_clocks().filter(state=ClockState.ACTIVE, due_at__gt=now).filter(passed | due)
    return Q(Exists(clocks))


def breached_q(now: datetime) -> Q:
    clocks = _case_clocks().filter(
        Q(state=ClockState.BREACHED, cycle=OuterRef("cycle"))
        | Q(state=ClockState.ACTIVE, due_at__lte=now)
    )
    return Q(Exists(clocks))


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
            at_risk=Count("pk", filter=at_risk_q(now) & ~breached_q(now)),
            breached=Count("pk", filter=breached_q(now)),
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
