"""The refunds' series for `/metrics` (listed in `settings.METRICS_COLLECTORS`).

Refunds per status: each status is counted exactly up to `EXACT_UP_TO` rows through the index
`refund_status_time` (a bounded count reads at most that many index entries); beyond that, on
PostgreSQL, the planner's estimate for the status, as the admin's change lists do
(`backoffice/admin_counts.py`). The statuses that need someone (approved, processing,
outcome_unknown, needs_review, pending_approval) stay far below it; only the finished ones
(succeeded, rejected, …) grow into estimates, and `backoffice_refunds_estimated` says which are.

Provider errors are counted as they happen by the refund pipeline (`refunds/processing.py` →
`backoffice.observability.tasktimes.count`): no answer (`unavailable`, outcome unknown) and a
refusal (`rejected`).
"""

from datetime import datetime

from django.db import connection
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from backoffice.admin_counts import EXACT_UP_TO, estimated_rows
from backoffice.observability.models import MetricTally
from refunds.choices import RefundStatus
from refunds.models import Refund

P = "backoffice_"
PROVIDER_ERRORS = "refund_provider_errors"
PROVIDER_ERROR_KINDS = ("rejected", "unavailable")


_BOUNDED = "SELECT %s, (SELECT COUNT(*) FROM (SELECT 1 FROM refunds_refund WHERE status = %s LIMIT %s) AS b)"


def status_counts() -> dict[str, tuple[int, bool]]:
    """Status → (count, estimated?): every status's bounded count in one statement (one index
    range each), then the planner's estimate for those past the bound."""
    statuses = RefundStatus.values
    params = [v for status in statuses for v in (status, status, EXACT_UP_TO + 1)]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join([_BOUNDED] * len(statuses)), params)
        bounded = dict(cursor.fetchall())
    counts = {}
    for status in statuses:
        number = bounded.get(status, 0)
        if number <= EXACT_UP_TO or connection.vendor != "postgresql":
            counts[status] = (number, False)
        else:
            rows = Refund.objects.filter(status=status).order_by()
            counts[status] = (max(EXACT_UP_TO + 1, estimated_rows(rows)), True)
    return counts


def collect(now: datetime):
    refunds = GaugeMetricFamily(
        P + "refunds",
        "Refunds per status (exact up to 10,000 per status, then the planner's estimate).",
        labels=["status"],
    )
    estimated = GaugeMetricFamily(
        P + "refunds_estimated", "1 where backoffice_refunds is an estimate.", labels=["status"]
    )
    for status, (number, is_estimate) in status_counts().items():
        refunds.add_metric([status], number)
        estimated.add_metric([status], int(is_estimate))
    errors = CounterMetricFamily(
        P + PROVIDER_ERRORS,
        "Refund provider calls that failed: rejected (a definite refusal) or unavailable "
        "(no answer: outcome unknown, re-driven with the same key).",
        labels=["kind"],
    )
    tallies = dict.fromkeys(PROVIDER_ERROR_KINDS, 0)
    for label, number in MetricTally.objects.filter(metric=PROVIDER_ERRORS).values_list(
        "label", "count"
    ):
        tallies[label] = tallies.get(label, 0) + number
    for kind, number in sorted(tallies.items()):
        errors.add_metric([kind], number)
    yield refunds
    yield estimated
    yield errors
