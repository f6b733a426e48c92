"""The rules a refund is decided by: the payload an approval is bound to, the cumulative amount,
the approval tier, an approver's limit, and what an order can still refund."""

import hashlib
import json
from datetime import timedelta
from decimal import Decimal

from django.db import models
from django.db.models import Sum
from django.utils import timezone

from backoffice.roles import roles_of
from refunds.choices import COUNTED_STATUSES, RefundStatus
from refunds.models import ApprovalTier, Refund

CUSTOMER_WINDOW = timedelta(days=30)


def payload_hash(*, amount: Decimal, currency: str, reason: str, order_id: str) -> str:
    """What an approval approves: amount, currency, reason and order. Any edit changes it."""
    canonical = json.dumps(
        {
            "amount": f"{Decimal(amount):.2f}",
            "currency": currency,
            "reason": reason,
            "order": order_id,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def refund_payload_hash(refund: Refund) -> str:
    return payload_hash(
        amount=refund.amount,
        currency=refund.currency,
        reason=refund.reason,
        order_id=refund.order.order_id,
    )


def _sum(qs) -> Decimal:
    return qs.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


def counted_on_order(order, *, exclude_pk=None) -> Decimal:
    """Σ of the refunds that still count against the order (everything but failed, rejected,
    cancelled)."""
    qs = Refund.objects.filter(order=order, status__in=COUNTED_STATUSES)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return _sum(qs)


def refundable(order, *, exclude_pk=None) -> Decimal:
    """What the order can still refund: its amount paid less the refunds that count against it
    (`exclude_pk`: a failed refund being retried does not count against itself)."""
    return order.amount_paid - counted_on_order(order, exclude_pk=exclude_pk)


def cumulative_amount(*, order, customer_id: int, amount: Decimal, exclude_pk=None) -> Decimal:
    """The amount a tier is decided on: this refund plus what the same order already has, or what
    the same customer had in 30 days, whichever is larger. Splitting a refund cannot dodge a tier."""
    on_order = counted_on_order(order, exclude_pk=exclude_pk)
    recent = Refund.objects.filter(
        case__customer_id=customer_id,
        status__in=COUNTED_STATUSES,
        created_at__gte=timezone.now() - CUSTOMER_WINDOW,
    )
    if exclude_pk is not None:
        recent = recent.exclude(pk=exclude_pk)
    return max(on_order, _sum(recent)) + amount


def approvals_covering(refund: Refund, cumulative: Decimal) -> int:
    """How many distinct approvals the refund holds, in its current round and for its current
    payload, whose approver's limit (when they approved) covers `cumulative`."""
    held = refund.approvals.filter(
        decision="approve",
        round=refund.approval_round,
        payload_hash=refund_payload_hash(refund),
    ).exclude(approver_id=refund.requester_id)
    return (
        held.filter(
            models.Q(approver_limit__isnull=True) | models.Q(approver_limit__gte=cumulative)
        )
        .values("approver_id")
        .distinct()
        .count()
    )


def payload_unchanged(refund: Refund) -> bool:
    """The refund still carries the payload its requester asked for (an approval is bound to it)."""
    return refund.payload_hash == refund_payload_hash(refund)


def approvals_in_round(refund: Refund) -> int:
    """The approvals of the refund's current payload in its current round (the database refuses
    an approval by its requester and a second decision by one approver in a round)."""
    return refund.approvals.filter(
        decision="approve", payload_hash=refund.payload_hash, round=refund.approval_round
    ).count()


def approvals_suffice(held: int, needed: int) -> bool:
    """A refund is approved once it holds as many approvals as its tier needs."""
    return held >= needed


def payable(refund: Refund) -> bool:
    """What the worker checks before it pays: the payload is the one approved, and the refund
    holds enough distinct approvals of it, in its current round, each within its approver's limit
    for the refund's cumulative amount."""
    if not payload_unchanged(refund):
        return False
    return approvals_suffice(
        approvals_covering(refund, refund.cumulative_amount), refund.approvals_needed
    )


def cancellable(refund: Refund) -> bool:
    """Only a refund waiting for approval, or a failed one, can be cancelled."""
    return refund.status in (RefundStatus.PENDING_APPROVAL, RefundStatus.FAILED)


def tiers(currency: str) -> list[ApprovalTier]:
    return list(ApprovalTier.objects.filter(enabled=True, currency=currency))


def tier_for(cumulative: Decimal, currency: str) -> ApprovalTier | None:
    """The lowest tier whose maximum covers the cumulative amount."""
    for tier in tiers(currency):
        if tier.max_amount is None or cumulative <= tier.max_amount:
            return tier
    return None


def approver_limit(user, currency: str) -> tuple[bool, Decimal | None]:
    """(may approve at all, the highest cumulative amount they may approve; None = no limit)."""
    mine = roles_of(user)
    relevant = [t for t in tiers(currency) if t.role in mine or user.is_superuser]
    if not relevant:
        return False, None
    if any(t.max_amount is None for t in relevant):
        return True, None
    return True, max(t.max_amount for t in relevant)
