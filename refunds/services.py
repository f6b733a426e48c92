"""Every write to a refund outside the provider pipeline: request, approve, reject, cancel, retry,
settle. Each is atomic, locks what it decides on, writes a case event and an audit row, and starts
side effects only after commit."""

from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.audit.services import audit_record
from backoffice.domain_events import publish
from backoffice.errors import Conflict, Forbidden, Invalid
from cases import permissions as case_permissions
from cases.models import Case, Customer, RechargeOrder
from refunds import dispatch, events, policy
from refunds.choices import Decision, Liability, RefundStatus
from refunds.events import (
    RefundAudit,
    RefundEvent,
    clock_subject,
    refund_audit,
    refund_event,
    refund_subject,
)
from refunds.models import ApprovalTier, Refund, RefundApproval
from refunds.transitions import move

MAX_REASON = 1000


def _locked(refund: Refund) -> Refund:
    return (
        Refund.objects.select_for_update(no_key=True)
        .select_related("case", "order")
        .get(pk=refund.pk)
    )


def _clean_amount(amount) -> Decimal:
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError) as exc:
        raise Invalid({"amount": [_("Give an amount like 50.00.")]}) from exc
    if not value.is_finite() or value <= 0:
        raise Invalid({"amount": [_("The amount must be more than 0.00.")]})
    if value != value.quantize(Decimal("0.01")):
        raise Invalid({"amount": [_("At most two decimal places.")]})
    return value


def _lock_tier_scope(*, customer_id: int, order_id: int) -> RechargeOrder:
    """Serialise every tier decision of one customer and one order in PostgreSQL: the customer's
    row, then the order's, always in that order (no deadlock between two refund paths). A second
    request, retry or re-tiering of the same customer waits here until the first commits, and then
    counts it (READ COMMITTED: each statement sees what committed before it)."""
    Customer.objects.select_for_update(no_key=True).filter(pk=customer_id).values_list("pk").get()
    return RechargeOrder.objects.select_for_update(no_key=True).get(pk=order_id)


def _start_approval_clock(refund: Refund, *, actor, at) -> None:
    """The approval SLA clock of the refund's current round."""
    publish(
        events.ApprovalAsked(
            case=refund.case, refund=refund, clock=clock_subject(refund), at=at, actor=actor
        )
    )


@transaction.atomic
def refund_request(
    *,
    actor,
    case: Case,
    amount,
    currency: str = "CNY",
    reason: str,
    liability: str,
    policy_basis: str = "",
) -> Refund:
    """Ask for a refund on the case's recharge order. Σ of counted refunds ≤ amount paid, checked
    under a row lock on the order so concurrent requests cannot overrun it."""
    policy.require_requester(actor, case)
    amount = _clean_amount(amount)
    reason = (reason or "").strip()
    errors = {}
    if currency != "CNY":
        errors["currency"] = ["Only CNY is supported."]
    if not reason:
        errors["reason"] = ["Say why the customer is refunded."]
    elif len(reason) > MAX_REASON:
        errors["reason"] = [f"At most {MAX_REASON} characters."]
    if liability not in Liability.values:
        errors["liability"] = [f"One of {', '.join(Liability.values)}."]
    if not policy.has_order(case):
        errors["case"] = [f"Case {case.reference} has no recharge order to refund."]
    if errors:
        raise Invalid(errors)
    if not policy.case_takes_refunds(case):
        raise Conflict(
            _("Case %(reference)s is %(status)s.")
            % {"reference": case.reference, "status": case.get_status_display()},
            code="case_closed",
        )
    order = _lock_tier_scope(customer_id=case.customer_id, order_id=case.recharge_order_id)
    if order.currency != currency:  # sums and tiers are per currency: never mix them
        raise Invalid(
            {"currency": [_("The order was paid in %(currency)s.") % {"currency": order.currency}]}
        )
    refundable = policy.refundable(order)
    if amount > refundable:
        raise Invalid(
            {
                "amount": [
                    _("Only %(refundable)s %(currency)s of %(paid)s paid is still refundable.")
                    % {
                        "refundable": f"{refundable:.2f}",
                        "currency": order.currency,
                        "paid": f"{order.amount_paid:.2f}",
                    }
                ]
            }
        )
    cumulative = policy.cumulative_amount(order=order, customer_id=case.customer_id, amount=amount)
    tier = policy.tier_for(cumulative, currency)
    if tier is None:
        raise Invalid(
            {
                "amount": [
                    _("No approval tier covers a cumulative %(amount)s %(currency)s.")
                    % {"amount": f"{cumulative:.2f}", "currency": currency}
                ]
            }
        )
    refund = Refund.objects.create(
        case=case,
        order=order,
        amount=amount,
        currency=currency,
        reason=reason,
        liability=liability,
        policy_basis=(policy_basis or "")[:200],
        requester=actor,
        payload_hash=policy.payload_hash(
            amount=amount, currency=currency, reason=reason, order_id=order.order_id
        ),
        cumulative_amount=cumulative,
        approvals_needed=tier.approvals_needed,
    )
    refund_event(
        refund, RefundEvent.REQUESTED, actor, tier=tier.name, cumulative=f"{cumulative:.2f}"
    )
    _start_approval_clock(refund, actor=actor, at=refund.created_at)
    refund_audit(refund, RefundAudit.REQUEST, actor, tier=tier.name, liability=liability)
    return refund


def _pending(refund: Refund) -> None:
    if refund.status != RefundStatus.PENDING_APPROVAL:
        raise Conflict(
            _("Refund %(reference)s is %(status)s already.")
            % {"reference": refund.reference, "status": refund.get_status_display()},
            code="already_decided",
        )


@transaction.atomic
def refund_approve(*, actor, refund: Refund, comment: str = "") -> Refund:
    """One approval. With enough distinct approvals the refund is approved and submitted after
    commit. Of simultaneous approvals exactly one makes the transition."""
    refund = _locked(refund)
    _pending(refund)
    limit = policy.require_approver(actor, refund)
    if not policy.payload_unchanged(refund):
        raise Conflict(_("The refund changed since it was requested."), code="payload_changed")
    policy.require_first_decision(actor, refund)
    try:
        with transaction.atomic():
            RefundApproval.objects.create(
                refund=refund,
                requester_id=refund.requester_id,
                approver=actor,
                decision=Decision.APPROVE,
                comment=(comment or "")[:2000],
                approver_limit=limit,
                payload_hash=refund.payload_hash,
                round=refund.approval_round,
            )
    except IntegrityError as exc:
        raise Conflict(
            _("This decision was refused by the database."), code="already_decided"
        ) from exc
    approvals = policy.approvals_in_round(refund)
    refund_event(
        refund, RefundEvent.APPROVAL, actor, approvals=approvals, needed=refund.approvals_needed
    )
    if policy.approvals_suffice(approvals, refund.approvals_needed):
        move(refund, to=RefundStatus.APPROVED, approved_at=timezone.now())
        refund_event(refund, RefundEvent.APPROVED, actor)
        publish(
            events.Approved(
                case=refund.case,
                refund=refund,
                subject=refund_subject(refund.pk),
                clock=clock_subject(refund),
                at=refund.approved_at,
                actor=actor,
            )
        )
        dispatch.submit_on_commit(refund.pk)
    refund_audit(refund, RefundAudit.APPROVE, actor, approvals=approvals)
    return refund


@transaction.atomic
def refund_reject(*, actor, refund: Refund, reason: str) -> Refund:
    refund = _locked(refund)
    _pending(refund)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid({"reason": [_("Say why the refund is rejected.")]})
    limit = policy.require_approver(actor, refund)
    policy.require_first_decision(actor, refund)
    RefundApproval.objects.create(
        refund=refund,
        requester_id=refund.requester_id,
        approver=actor,
        decision=Decision.REJECT,
        comment=reason[:2000],
        approver_limit=limit,
        payload_hash=refund.payload_hash,
        round=refund.approval_round,
    )
    now = timezone.now()
    move(refund, to=RefundStatus.REJECTED, finished_at=now, status_reason=reason[:2000])
    refund_event(refund, RefundEvent.REJECTED, actor, reason=reason[:200])
    publish(
        events.Rejected(
            case=refund.case, refund=refund, clock=clock_subject(refund), at=now, actor=actor
        )
    )
    refund_audit(refund, RefundAudit.REJECT, actor)
    return refund


@transaction.atomic
def refund_cancel(*, actor, refund: Refund, reason: str = "") -> Refund:
    """Withdraw a refund before it is decided, or give up a failed one for good: either way it
    stops counting toward the cumulative amounts and can never be paid."""
    refund = _locked(refund)
    if not policy.may_cancel(actor, refund):
        raise Forbidden(_("Only the requester or a supervisor can cancel this refund."))
    if not policy.cancellable(refund):
        raise Conflict(
            _(
                "Refund %(reference)s is %(status)s; only a refund waiting for approval or a "
                "failed one can be cancelled."
            )
            % {"reference": refund.reference, "status": refund.get_status_display()},
            code="already_decided",
        )
    was = refund.status
    now = timezone.now()
    move(
        refund,
        to=RefundStatus.CANCELLED,
        finished_at=now,
        status_reason=(reason or refund.status_reason)[:2000],
    )
    refund_event(refund, RefundEvent.CANCELLED, actor, was=was)
    publish(
        events.Cancelled(
            case=refund.case,
            refund=refund,
            clock=clock_subject(refund),
            at=now,
            was_pending=was == RefundStatus.PENDING_APPROVAL,
            actor=actor,
        )
    )
    refund_audit(refund, RefundAudit.CANCEL, actor, was=was)
    return refund


@transaction.atomic
def refund_retry(*, actor, refund: Refund, seen_attempts: int | None = None) -> Refund:
    """Finance sends a failed refund again: a new attempt with a new key, if it still fits.

    The tier is decided again, under the customer's and the order's locks, on everything paid or in
    flight now (failed refunds not cancelled included). If the approvals the refund holds no longer
    cover that tier (too few, or an approver's limit below the new cumulative amount), it goes back
    to `pending_approval` in a new round and nothing is paid until fresh approvals arrive.

    `seen_attempts`: the attempts the person saw when they chose to retry (a screen's form). If
    another attempt ran since (someone retried it and it failed again), nothing is sent: they
    decide again on what happened since, and a double submit never sends a refund twice."""
    case_permissions.require(
        policy.may_retry(actor, refund), _("Only finance or a supervisor can retry a refund.")
    )
    refund = _locked(refund)
    if refund.status != RefundStatus.FAILED:
        raise Conflict(
            _("Refund %(reference)s is %(status)s; only failed refunds are retried.")
            % {"reference": refund.reference, "status": refund.get_status_display()},
            code="not_failed",
        )
    if seen_attempts is not None and seen_attempts != refund.attempt_count:
        raise Conflict(
            _("Refund %(reference)s had another attempt since it was shown.")
            % {"reference": refund.reference},
            code="refund_changed",
        )
    order = _lock_tier_scope(customer_id=refund.case.customer_id, order_id=refund.order_id)
    refundable = policy.refundable(order, exclude_pk=refund.pk)
    if refund.amount > refundable:
        raise Conflict(
            _("Only %(refundable)s is still refundable on the order.")
            % {"refundable": f"{refundable:.2f}"},
            code="over_refundable",
        )
    cumulative = policy.cumulative_amount(
        order=order, customer_id=refund.case.customer_id, amount=refund.amount, exclude_pk=refund.pk
    )
    tier = policy.tier_for(cumulative, refund.currency)
    if tier is None:
        raise Conflict(
            _("No approval tier covers a cumulative %(amount)s %(currency)s.")
            % {"amount": f"{cumulative:.2f}", "currency": refund.currency},
            code="no_tier",
        )
    held = policy.approvals_covering(refund, cumulative)
    tiered = {
        "cumulative_amount": cumulative,
        "approvals_needed": tier.approvals_needed,
        "status_reason": "",
        "finished_at": None,
    }
    if policy.approvals_suffice(held, tier.approvals_needed):
        move(refund, to=RefundStatus.APPROVED, **tiered)
        refund_event(
            refund, RefundEvent.RETRY, actor, tier=tier.name, cumulative=f"{cumulative:.2f}"
        )
        dispatch.submit_on_commit(refund.pk)
        refund_audit(
            refund, RefundAudit.RETRY, actor, tier=tier.name, cumulative=f"{cumulative:.2f}"
        )
        return refund
    move(
        refund,
        to=RefundStatus.PENDING_APPROVAL,
        approval_round=refund.approval_round + 1,
        **tiered,
    )
    refund_event(
        refund,
        RefundEvent.SENT_BACK,
        actor,
        tier=tier.name,
        cumulative=f"{cumulative:.2f}",
        needed=tier.approvals_needed,
        held=held,
    )
    _start_approval_clock(refund, actor=actor, at=timezone.now())
    refund_audit(
        refund,
        RefundAudit.SENT_BACK,
        actor,
        tier=tier.name,
        cumulative=f"{cumulative:.2f}",
        held=held,
    )
    return refund


@transaction.atomic
def refund_settle(
    *, actor, refund: Refund, outcome: str, note: str, provider_reference: str = ""
) -> Refund:
    """Finance settles a refund in `needs_review` after checking the provider's ledger; a refund
    settled as paid may carry the provider's reference of the payment found there. Nobody settles
    a refund they asked for, and a provider reference pays one refund only."""
    case_permissions.require(
        policy.may_settle(actor), _("Only finance settles refunds under review.")
    )
    refund = _locked(refund)
    if not policy.may_settle(actor, refund):
        raise Forbidden(
            _("You asked for this refund; another finance user must settle it."),
            code="cannot_settle_own_refund",
        )
    if refund.status != RefundStatus.NEEDS_REVIEW:
        raise Conflict(
            _("Refund %(reference)s is %(status)s.")
            % {"reference": refund.reference, "status": refund.get_status_display()},
            code="not_under_review",
        )
    if outcome not in (RefundStatus.SUCCEEDED, RefundStatus.FAILED):
        raise Invalid({"outcome": [_("Choose paid or failed.")]})
    note = (note or "").strip()
    if not note:
        raise Invalid({"note": [_("Say what the provider's ledger shows.")]})
    provider_reference = (provider_reference or "").strip()
    if len(provider_reference) > 100:
        raise Invalid({"provider_reference": [_("At most 100 characters.")]})
    fields = {}
    taken = Conflict(
        _("Provider reference %(reference)s belongs to another refund.")
        % {"reference": provider_reference},
        code="provider_reference_taken",
    )
    if provider_reference and outcome == RefundStatus.SUCCEEDED:
        # Friendly first; the partial unique index `refund_paid_provider_ref_once` decides when
        # two settles of different refunds race with the same reference.
        if (
            Refund.objects.filter(provider_reference=provider_reference)
            .exclude(pk=refund.pk)
            .exists()
        ):
            raise taken
        fields["provider_reference"] = provider_reference
    try:
        with transaction.atomic():
            move(
                refund,
                to=outcome,
                finished_at=timezone.now(),
                status_reason=f"{refund.status_reason}\nsettled by finance: {note}".strip(),
                **fields,
            )
    except IntegrityError as exc:
        raise taken from exc
    refund_event(
        refund,
        RefundEvent.SETTLED,
        actor,
        outcome=outcome,
        **({"provider_reference": provider_reference} if fields else {}),
    )
    refund_audit(refund, RefundAudit.SETTLE, actor, outcome=outcome, **fields)
    outcome_event = events.Paid if outcome == RefundStatus.SUCCEEDED else events.Failed
    publish(
        outcome_event(
            case=refund.case, refund=refund, subject=refund_subject(refund.pk), actor=actor
        )
    )
    return refund


def _tier_state(tier: ApprovalTier) -> dict:
    return {
        "name": tier.name,
        "role": tier.role,
        "currency": tier.currency,
        "max_amount": None if tier.max_amount is None else f"{tier.max_amount:.2f}",
        "approvals_needed": tier.approvals_needed,
        "enabled": tier.enabled,
    }


@transaction.atomic
def tier_save(*, actor, tier: ApprovalTier) -> ApprovalTier:
    """Add or change an approval tier (the admin): who may approve how much is a money rule, so
    every change is in the audit chain with what it was before."""
    before = None
    if tier.pk is not None:
        old = ApprovalTier.objects.select_for_update().filter(pk=tier.pk).first()
        before = _tier_state(old) if old is not None else None
    tier.save()
    audit_record(
        actor=actor,
        action="refund_tier.change" if before else "refund_tier.add",
        object_type="refunds.approvaltier",
        object_id=tier.pk,
        payload={"before": before, "after": _tier_state(tier)},
    )
    return tier


@transaction.atomic
def tier_delete(*, actor, tier: ApprovalTier) -> None:
    state, pk = _tier_state(tier), tier.pk
    tier.delete()
    audit_record(
        actor=actor,
        action="refund_tier.delete",
        object_type="refunds.approvaltier",
        object_id=pk,
        payload={"before": state, "after": None},
    )
