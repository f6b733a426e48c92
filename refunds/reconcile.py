"""The reconciler (Celery beat, every minute): re-drives whatever a lost message, a dead worker or
a lost provider response left behind, and hands what cannot be settled to finance."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from refunds import dispatch
from refunds.choices import RefundStatus
from refunds.events import RefundAudit, RefundEvent, refund_audit, refund_event
from refunds.models import Refund
from refunds.transitions import move

logger = logging.getLogger(__name__)


def unknown_window() -> timedelta:
    """How long an unknown outcome is re-driven with the same key before finance must look."""
    return timedelta(seconds=float(getattr(settings, "REFUND_UNKNOWN_WINDOW_SECONDS", 3600)))


def approved_grace() -> timedelta:
    """An approved refund younger than this is left to the task its approval enqueued."""
    return timedelta(seconds=float(getattr(settings, "REFUND_APPROVED_GRACE_SECONDS", 10)))


def _give_up(refund: Refund, now) -> bool:
    with transaction.atomic():
        reason = (
            f"No definite answer from the provider for {unknown_window()} with the same key; "
            "check the provider's ledger for this reference and settle."
        )
        won = move(
            Refund.objects.filter(
                Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now), pk=refund.pk
            ),
            to=RefundStatus.NEEDS_REVIEW,
            sources=[RefundStatus.OUTCOME_UNKNOWN],
            mirror=refund,
            status_reason=reason,
            updated_at=now,
        )
        if won:
            refund_event(refund, RefundEvent.NEEDS_REVIEW, reason=reason)
            refund_audit(refund, RefundAudit.NEEDS_REVIEW, reason=reason)
    return bool(won)


def reconcile(*, now=None) -> dict:
    now = now or timezone.now()
    counts = {"resubmitted": 0, "redriven": 0, "to_review": 0}
    approved = Refund.objects.filter(
        status=RefundStatus.APPROVED, updated_at__lt=now - approved_grace()
    )
    for pk in approved.values_list("pk", flat=True).order_by("pk")[:1000]:
        counts["resubmitted"] += dispatch.submit_now(pk)
    stuck = (
        Refund.objects.filter(
            Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now),
            status__in=[RefundStatus.PROCESSING, RefundStatus.OUTCOME_UNKNOWN],
        )
        .select_related("case")
        .annotate(first_call=Min("attempts__created_at"))
        .order_by("pk")[:1000]
    )
    for refund in stuck:
        if (
            refund.status == RefundStatus.OUTCOME_UNKNOWN
            and refund.first_call
            and refund.first_call < now - unknown_window()
        ):
            counts["to_review"] += _give_up(refund, now)
        else:
            counts["redriven"] += dispatch.submit_now(refund.pk)
    if any(counts.values()):
        logger.info("refund reconciler: %s", counts)
    return counts
