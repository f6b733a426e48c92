"""The cases' series for `/metrics` (listed in `settings.METRICS_COLLECTORS`).

Nothing here counts the cases table: the queue depth, unassigned, at-risk and breached counts are
the rows `QueueCount` that the `cases.queue_counts` beat task refreshes every
`QUEUE_COUNTS_SECONDS` (`sla/counts.py`), read as they are; their age is a series of its
own, so a stopped beat shows. Only a queue with no row yet (a new queue) is counted on the spot,
and with `QUEUE_COUNTS_MAX_AGE = 0` (small installations, the tests) everything is counted live.
The outbox is read through its partial index of unsent rows.
"""

from datetime import datetime

from django.conf import settings
from django.db.models import Count, Min, Q
from prometheus_client.core import GaugeMetricFamily

from cases.choices import OPEN_STATUSES
from cases.models import Queue, QueueCount
from notifications.models import Notification, OutboxStatus
from sla.counts import FIELDS, queue_counts, refresh_queue_counts

P = "backoffice_"
UNSENT = (OutboxStatus.QUEUED, OutboxStatus.SENDING)


def _queue_counts(now: datetime) -> tuple[dict[int, dict], datetime]:
    ids = list(Queue.objects.values_list("pk", flat=True))
    if not settings.QUEUE_COUNTS_MAX_AGE:
        empty = {**dict.fromkeys(FIELDS, 0), "by_status": {}}
        counted = queue_counts(ids, now)
        return {pk: counted.get(pk, empty) for pk in ids}, now
    rows = {row.queue_id: row for row in QueueCount.objects.filter(queue_id__in=ids)}
    counts = {
        pk: {**{k: getattr(row, k) for k in FIELDS}, "by_status": row.by_status}
        for pk, row in rows.items()
    }
    missing = [pk for pk in ids if pk not in rows]
    if missing:
        counts.update(refresh_queue_counts(missing, now=now))
    return counts, min((row.counted_at for row in rows.values()), default=now)


def queue_families(now: datetime) -> list:
    codes = dict(Queue.objects.values_list("pk", "code"))
    counts, counted_at = _queue_counts(now)
    depth = GaugeMetricFamily(
        P + "cases_open", "Open cases per queue and status.", labels=["queue", "status"]
    )
    per_queue = {
        field: GaugeMetricFamily(P + f"cases_{field}", doc, labels=["queue"])
        for field, doc in (
            ("unassigned", "Open cases with no assignee, per queue."),
            ("at_risk", "Open cases past an SLA warning threshold and not breached, per queue."),
            ("breached", "Open cases with a breached or overdue SLA clock, per queue."),
        )
    }
    for pk, row in sorted(counts.items(), key=lambda item: codes.get(item[0], "")):
        code = codes.get(pk, str(pk))
        for status in sorted(OPEN_STATUSES):  # zeros too: a series never vanishes
            depth.add_metric([code, status], row["by_status"].get(status, 0))
        for field, family in per_queue.items():
            family.add_metric([code], row[field])
    age = GaugeMetricFamily(
        P + "queue_counts_age_seconds",
        "Age of the oldest stored queue count (the cases.queue_counts beat task refreshes them).",
        value=max(0.0, (now - counted_at).total_seconds()),
    )
    return [depth, *per_queue.values(), age]


def outbox_families(now: datetime) -> list:
    unsent = Notification.objects.filter(status__in=UNSENT).order_by()
    backlog = GaugeMetricFamily(
        P + "outbox_unsent",
        "Customer and staff messages not sent yet, per channel; due: may be sent now (held: "
        "waiting for quiet hours to end or a retry's backoff).",
        labels=["channel", "due"],
    )
    rows = unsent.values("channel").annotate(
        due=Count("pk", filter=Q(not_before__lte=now)),
        held=Count("pk", filter=Q(not_before__gt=now)),
    )
    for row in sorted(rows, key=lambda r: r["channel"]):
        backlog.add_metric([row["channel"], "yes"], row["due"])
        backlog.add_metric([row["channel"], "no"], row["held"])
    oldest = unsent.filter(not_before__lte=now).aggregate(oldest=Min("not_before"))["oldest"]
    age = GaugeMetricFamily(
        P + "outbox_oldest_due_age_seconds",
        "How long the oldest unsent message that is due has been due (0 when none is).",
        value=(now - oldest).total_seconds() if oldest else 0.0,
    )
    return [backlog, age]


def collect(now: datetime):
    yield from queue_families(now)
    yield from outbox_families(now)
