"""The rules a refund is decided by: who may request, decide, cancel, retry and settle a refund; the
payload an approval is bound to, the cumulative amount, the approval tier, an approver's limit, and
what an order can still refund. Services enforce these; screens and serializers ask them."""

import hashlib
import json
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum

from django.db import models
from django.db.models import DecimalField, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.cache import cached
from backoffice.errors import Conflict, Forbidden
from backoffice.roles import Role, has_role, roles_of
from cases import permissions as case_permissions
from cases.choices import Status
from refunds.choices import COUNTED_STATUSES, RefundStatus
from refunds.models import ApprovalTier, Refund

MONEY = DecimalField(max_digits=14, decimal_places=2)

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


def counted_on_order_sql(order_ref) -> Coalesce:
    """`counted_on_order` as an expression over the order `order_ref` (an `OuterRef`): read with
    the row that names the order (the case workspace's statement) instead of a statement of its
    own."""
    counted = (
        Refund.objects.filter(order=order_ref, status__in=COUNTED_STATUSES)
        .order_by()
        .values("order")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(counted), Value(Decimal("0.00")), output_field=MONEY)


def refundable(order, *, exclude_pk=None, counted: Decimal | None = None) -> Decimal:
    """What the order can still refund: its amount paid less the refunds that count against it
    (`exclude_pk`: a failed refund being retried does not count against itself; `counted`: that
    sum when it was read with the order, `counted_on_order_sql`)."""
    if counted is None:
        counted = counted_on_order(order, exclude_pk=exclude_pk)
    return order.amount_paid - counted


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


# Who may ask for a refund.


def may_request(user, case) -> bool:
    """The case's agents and supervisors, and finance."""
    return case_permissions.can_work_case(user, case) or has_role(user, Role.FINANCE)


def require_requester(user, case) -> None:
    case_permissions.require(
        may_request(user, case),
        _("Only the case's agents, supervisors and finance can request refunds."),
    )


def has_order(case) -> bool:
    """Only a case with a recharge order can be refunded."""
    return case.recharge_order_id is not None


def case_takes_refunds(case) -> bool:
    """An open case, or a resolved one (a refund often follows the resolution)."""
    return case.is_open or case.status == Status.RESOLVED


def can_request_now(user, case) -> bool:
    """What the request form is offered on: the requester rule and the case's state."""
    return may_request(user, case) and has_order(case) and case_takes_refunds(case)


# Who may decide (approve or reject) a refund.


class DecisionBar(StrEnum):
    """Why someone may not decide on a refund."""

    OWN_REFUND = "own_refund"  # nobody decides on a refund they asked for
    OUT_OF_SCOPE = "out_of_scope"  # neither sees the case nor is finance
    ABOVE_LIMIT = "above_limit"  # no approval tier, or its limit is below the cumulative amount
    DECIDED = "decided"  # one decision per approver and round


def may_approve_at_all(user, currency: str = "CNY") -> bool:
    """Holds an approval tier of the currency (the approvals inbox is theirs)."""
    return approver_limit(user, currency)[0]


def offers_approvals(user, currency: str = "CNY") -> bool:
    """`may_approve_at_all` on the tiers as the configuration cache holds them (`backoffice.cache`:
    an edit shows at once in its process, within `CONFIG_CACHE_SECONDS` in the others): the
    navigation asks on every page. The inbox and the decisions read the tiers fresh."""
    configured = cached(f"refunds.tiers.{currency}", lambda: tiers(currency))
    mine = roles_of(user)
    return any(t.role in mine or user.is_superuser for t in configured)


def within_limit(authority: tuple[bool, Decimal | None], cumulative: Decimal) -> bool:
    """`authority` is `approver_limit(...)`: may approve at all, up to that limit (None: none)."""
    may, limit = authority
    return may and (limit is None or cumulative <= limit)


def within_limit_q(limit: Decimal | None) -> models.Q:
    """`within_limit` as a filter on refunds, for an approver who may approve up to `limit`."""
    return models.Q() if limit is None else models.Q(cumulative_amount__lte=limit)


def _bar_and_authority(user, refund: Refund, authority):
    if user.pk == refund.requester_id:
        return DecisionBar.OWN_REFUND, authority
    if not (case_permissions.can_view_case(user, refund.case) or has_role(user, Role.FINANCE)):
        return DecisionBar.OUT_OF_SCOPE, authority
    authority = authority or approver_limit(user, refund.currency)
    if not within_limit(authority, refund.cumulative_amount):
        return DecisionBar.ABOVE_LIMIT, authority
    return None, authority


def approver_bar(user, refund: Refund, *, authority=None) -> DecisionBar | None:
    """Why `user` may not decide on `refund`, leaving aside a decision already taken; None if they
    may. `authority`: their `approver_limit` in the refund's currency, when the caller has it."""
    return _bar_and_authority(user, refund, authority)[0]


def has_decided(user, refund: Refund) -> bool:
    """A decision by `user` in the refund's current round (its approvals prefetched or not)."""
    return any(
        a.approver_id == user.pk and a.round == refund.approval_round
        for a in refund.approvals.all()
    )


def decision_bar(user, refund: Refund, *, authority=None) -> DecisionBar | None:
    """Why `user` may not decide on `refund` now, or None (what the approvals inbox shows)."""
    bar = approver_bar(user, refund, authority=authority)
    if bar is None and has_decided(user, refund):
        return DecisionBar.DECIDED
    return bar


def require_approver(user, refund: Refund) -> Decimal | None:
    """Refuse a decision `approver_bar` bars; the approver's limit (None: no limit) if allowed."""
    bar, authority = _bar_and_authority(user, refund, None)
    if bar == DecisionBar.OWN_REFUND:
        raise Forbidden(
            _("You cannot decide on a refund you asked for."), code="cannot_approve_own_refund"
        )
    if bar == DecisionBar.OUT_OF_SCOPE:
        raise Forbidden(_("You cannot decide on refunds of this case."))
    if bar == DecisionBar.ABOVE_LIMIT:
        raise Forbidden(
            _("A cumulative %(amount)s %(currency)s is above your approval limit.")
            % {"amount": f"{refund.cumulative_amount:.2f}", "currency": refund.currency},
            code="approval_limit",
        )
    return authority[1]


def require_first_decision(user, refund: Refund) -> None:
    """One decision per approver and round (the database's unique constraint says so too)."""
    if has_decided(user, refund):
        raise Conflict(_("You have decided on this refund already."), code="already_decided")


# Who may cancel, retry and settle.


def may_cancel(user, refund: Refund) -> bool:
    """A pending refund: its requester or a supervisor of the case. A failed one (which still
    counts toward the order's and the customer's cumulative amount until cancelled): finance or a
    supervisor of the case, the people who could retry it."""
    supervises = case_permissions.can_supervise_case(user, refund.case)
    if refund.status == RefundStatus.PENDING_APPROVAL:
        return user.pk == refund.requester_id or supervises
    if refund.status == RefundStatus.FAILED:
        return has_role(user, Role.FINANCE) or supervises
    # anything else cannot be cancelled: whoever could cancel at some point is told why (409)
    return user.pk == refund.requester_id or has_role(user, Role.FINANCE) or supervises


def may_retry(user, refund: Refund) -> bool:
    """Finance, or a supervisor of the case."""
    return has_role(user, Role.FINANCE) or case_permissions.can_supervise_case(user, refund.case)


def may_settle(user, refund: Refund | None = None) -> bool:
    """Finance settles a refund under review, but never one they asked for themselves: marking a
    refund paid is a money decision and keeps its four eyes (`refund`: None asks about the role)."""
    if refund is not None and user.pk == refund.requester_id:
        return False
    return has_role(user, Role.FINANCE)


# The finance console: the refunds someone must act on.

# A refund sent to the provider (or approved and not yet sent) for longer than this has been waiting
# too long: the worker or the provider may be stuck, and finance should know.
STUCK_AFTER = timedelta(minutes=30)
RECENT = timedelta(hours=24)
STUCK_STATUSES = (RefundStatus.APPROVED, RefundStatus.PROCESSING, RefundStatus.OUTCOME_UNKNOWN)


def may_use_finance_console(user) -> bool:
    """Finance (who retry, settle and cancel), managers (who watch the money) and supervisors (who
    may retry and cancel their queues' failed refunds)."""
    return has_role(user, Role.FINANCE, Role.MANAGER, Role.SUPERVISOR)


def stuck_q(now) -> models.Q:
    return models.Q(status__in=STUCK_STATUSES, updated_at__lt=now - STUCK_AFTER)


def needs_finance_q(now) -> models.Q:
    """Refunds a person must act on or look at: failed (retry or cancel), under review (settle),
    and those waiting on the provider for too long."""
    return models.Q(status__in=[RefundStatus.FAILED, RefundStatus.NEEDS_REVIEW]) | stuck_q(now)


def recently_finished_q(now) -> models.Q:
    """Paid or given up in the last day: where a refund finance acted on ends up."""
    return models.Q(
        status__in=[RefundStatus.SUCCEEDED, RefundStatus.CANCELLED], finished_at__gte=now - RECENT
    )
