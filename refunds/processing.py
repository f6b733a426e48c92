"""Paying an approved refund out exactly once: claim (commit) → call the provider → record (commit).

Correctness lives in PostgreSQL. Every state change is a compare-and-set on the refund row whose
row count decides who won; no row lock is held across the provider call; an attempt's
idempotency key (`<refund id>:<attempt no>`) is stored before the call and reused on every retry of
that attempt, so a lost response or a killed worker can never cause a second payout.
"""

import logging
import os
import signal
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from backoffice.domain_events import publish
from backoffice.observability.tasktimes import count
from refunds import events, policy
from refunds.choices import AttemptStatus, RefundStatus
from refunds.events import RefundAudit, RefundEvent, refund_audit, refund_event, refund_subject
from refunds.models import Refund, RefundAttempt
from refunds.providers import client
from refunds.transitions import move

logger = logging.getLogger(__name__)
OUTCOME_EVENT = {RefundStatus.SUCCEEDED: events.Paid, RefundStatus.FAILED: events.Failed}


def count_provider_error(kind: str) -> None:
    """One more `backoffice_refund_provider_errors_total{kind}` on /metrics (refunds/metrics.py)."""
    count("refund_provider_errors", kind)


def lease_seconds() -> float:
    return float(getattr(settings, "REFUND_LEASE_SECONDS", 60))


def crash_point(name: str) -> None:
    """Chaos tests only: under the test settings, `REFUND_TEST_CRASH_AT=<name>` makes this process
    SIGKILL itself here, as when the machine dies; anywhere else it does nothing."""
    if (
        settings.SETTINGS_MODULE == "backoffice.settings_test"
        and os.environ.get("REFUND_TEST_CRASH_AT") == name
    ):
        logger.warning("refund pipeline: crash point %r reached; killing this process", name)
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass(frozen=True)
class Claim:
    refund_id: int
    token: uuid.UUID
    attempt: RefundAttempt


def _claimable(now) -> Q:
    expired = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
    return Q(status=RefundStatus.APPROVED) | (
        Q(status__in=[RefundStatus.PROCESSING, RefundStatus.OUTCOME_UNKNOWN]) & expired
    )


def _approved_payload_matches(refund: Refund) -> bool:
    return policy.payable(refund)


def _to_review(refund: Refund, reason: str) -> None:
    """Inside the claim's transaction: the refund is ours (processing, our token)."""
    move(
        Refund.objects.filter(pk=refund.pk),
        to=RefundStatus.NEEDS_REVIEW,
        sources=[RefundStatus.PROCESSING],
        mirror=refund,
        status_reason=reason,
        lease_token=None,
        lease_expires_at=None,
    )
    refund_event(refund, RefundEvent.NEEDS_REVIEW, reason=reason)
    refund_audit(refund, RefundAudit.NEEDS_REVIEW, reason=reason)


@transaction.atomic
def claim(refund_id: int) -> Claim | None:
    """Take the refund for one provider call. None when someone else holds it or nothing is due."""
    now = timezone.now()
    token = uuid.uuid4()
    won = move(
        Refund.objects.filter(_claimable(now), pk=refund_id),
        to=RefundStatus.PROCESSING,
        sources=[RefundStatus.APPROVED, RefundStatus.PROCESSING, RefundStatus.OUTCOME_UNKNOWN],
        lease_token=token,
        lease_expires_at=now + timedelta(seconds=lease_seconds()),
        updated_at=now,
    )
    if not won:
        return None
    refund = Refund.objects.select_related("case", "order").get(pk=refund_id)
    if not _approved_payload_matches(refund):
        _to_review(
            refund, "The amount, currency, reason or order changed after approval; not paid."
        )
        return None
    attempt = refund.attempts.order_by("-number").first()
    if attempt is None or attempt.status == AttemptStatus.FAILED:
        # A new attempt (a new key) only when there is none yet or the last one definitely failed.
        number = (attempt.number if attempt else 0) + 1
        attempt = RefundAttempt.objects.create(
            refund=refund, number=number, idempotency_key=f"{refund.pk}:{number}"
        )
        Refund.objects.filter(pk=refund.pk).update(attempt_count=number)
        refund_event(refund, RefundEvent.ATTEMPT, attempt=number)
    RefundAttempt.objects.filter(pk=attempt.pk).update(calls=F("calls") + 1)
    return Claim(refund_id=refund.pk, token=token, attempt=attempt)


def _finish(
    claim: Claim,
    *,
    status: str,
    attempt_status: str,
    provider_reference: str = "",
    error: str = "",
    reason: str = "",
    keep_lease: bool = False,
) -> bool:
    """Record the provider's answer if our claim still holds (compare-and-set on the token)."""
    now = timezone.now()
    with transaction.atomic():
        updates = {"updated_at": now}
        if not keep_lease:
            updates.update(lease_token=None, lease_expires_at=None)
        if provider_reference:
            updates["provider_reference"] = provider_reference
        if status in (RefundStatus.SUCCEEDED, RefundStatus.FAILED):
            updates.update(finished_at=now, status_reason=reason)
        elif reason:
            updates["status_reason"] = reason
        won = move(
            Refund.objects.filter(pk=claim.refund_id, lease_token=claim.token),
            to=status,
            sources=[RefundStatus.PROCESSING],
            **updates,
        )
        if not won:
            logger.warning("refund %s: claim lost before recording %s", claim.refund_id, status)
            return False
        RefundAttempt.objects.filter(pk=claim.attempt.pk).update(
            status=attempt_status,
            provider_reference=provider_reference or claim.attempt.provider_reference,
            error=error[:2000],
            finished_at=now
            if attempt_status in (AttemptStatus.SUCCEEDED, AttemptStatus.FAILED)
            else None,
        )
        refund = Refund.objects.select_related("case").get(pk=claim.refund_id)
        refund_event(
            refund,
            RefundEvent(status),
            attempt=claim.attempt.number,
            provider_reference=provider_reference,
        )
        refund_audit(
            refund,
            RefundAudit(status),
            attempt=claim.attempt.number,
            key=claim.attempt.idempotency_key,
        )
        if status in OUTCOME_EVENT:
            subject = refund_subject(refund.pk)
            publish(OUTCOME_EVENT[status](case=refund.case, refund=refund, subject=subject))
    return True


def apply_provider_result(claim: Claim, result: client.ProviderRefund) -> str:
    if result.status == "succeeded":
        _finish(
            claim,
            status=RefundStatus.SUCCEEDED,
            attempt_status=AttemptStatus.SUCCEEDED,
            provider_reference=result.id,
        )
        return RefundStatus.SUCCEEDED
    if result.status == "failed":
        _finish(
            claim,
            status=RefundStatus.FAILED,
            attempt_status=AttemptStatus.FAILED,
            provider_reference=result.id,
            reason=result.failure_reason or "refused by the provider",
        )
        return RefundStatus.FAILED
    # pending: keep the lease while the provider settles; the reconciler polls it.
    _finish(
        claim,
        status=RefundStatus.PROCESSING,
        attempt_status=AttemptStatus.PENDING,
        provider_reference=result.id,
        keep_lease=True,
    )
    return RefundStatus.PROCESSING


def submit(refund_id: int) -> str | None:
    """The body of the submit task. Safe to run any number of times, at once or one after another."""
    taken = claim(refund_id)
    if taken is None:
        return None
    crash_point("after_claim")  # the claim is committed; the provider has not been called
    refund = Refund.objects.select_related("order").get(pk=refund_id)
    try:
        result = client.submit_refund(
            idempotency_key=taken.attempt.idempotency_key,
            amount=refund.amount,
            currency=refund.currency,
            reference=refund_subject(refund.pk),
        )
    except client.ProviderRejected as exc:
        count_provider_error("rejected")
        _finish(
            taken,
            status=RefundStatus.NEEDS_REVIEW,
            attempt_status=AttemptStatus.FAILED,
            error=str(exc),
            reason=f"The provider refused the request: {exc}",
        )
        return RefundStatus.NEEDS_REVIEW
    except client.ProviderUnavailable as exc:
        count_provider_error("unavailable")
        _finish(
            taken,
            status=RefundStatus.OUTCOME_UNKNOWN,
            attempt_status=AttemptStatus.UNKNOWN,
            error=str(exc),
        )
        return RefundStatus.OUTCOME_UNKNOWN
    return apply_provider_result(taken, result)
