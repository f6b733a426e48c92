"""Refund events: every change of a refund writes a timeline event on its case (type `refund`, the
step in `payload.action`) and an audit row, in the same transaction; and the `refund:<id>` subject
that names a refund to the SLA clocks, the notifications and the provider.

And the refunds' domain events (`backoffice.domain_events`): what the SLA clocks and the customer's
messages react to, listed in `settings.DOMAIN_EVENT_SUBSCRIBERS`. Their subscribers sit below
refunds (`sla.reactions`, `notifications.reactions`) and read the fields by name; each event
carries the subjects it needs already built (`subject`: the notifications', `clock`: the approval
clock's), so no app but this one spells them."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from backoffice.audit.services import audit_record
from backoffice.domain_events import DomainEvent
from cases.choices import EventType
from cases.events import record_event
from refunds.models import Refund


class RefundEvent(StrEnum):
    """`payload.action` of a refund's timeline event."""

    REQUESTED = "requested"
    APPROVAL = "approval"  # one approval recorded; `approved` follows once they suffice
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    RETRY = "retry"
    SENT_BACK = "sent_back"  # a retry whose tier rose: a new approval round
    SETTLED = "settled"
    ATTEMPT = "attempt"  # a new provider attempt (a new idempotency key)
    NEEDS_REVIEW = "needs_review"
    # the provider's answer recorded by the pipeline: the refund's new status
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    OUTCOME_UNKNOWN = "outcome_unknown"


class RefundAudit(StrEnum):
    """The audit action of a refund change is `refund.<this>`."""

    REQUEST = "request"
    APPROVE = "approve"
    REJECT = "reject"
    CANCEL = "cancel"
    RETRY = "retry"
    SENT_BACK = "sent_back"
    SETTLE = "settle"
    NEEDS_REVIEW = "needs_review"
    # the provider's answer recorded by the pipeline: the refund's new status
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    OUTCOME_UNKNOWN = "outcome_unknown"


def refund_subject(refund_id: int) -> str:
    """`refund:<id>`: the subject of the refund's notifications and its provider reference."""
    return f"refund:{refund_id}"


def clock_subject(refund: Refund) -> str:
    """The approval clock of the refund's current round (a retry sent back for fresh approval
    starts a new one)."""
    if refund.approval_round > 1:
        return f"{refund_subject(refund.pk)}:round-{refund.approval_round}"
    return refund_subject(refund.pk)


def refund_event(refund: Refund, action: str, actor=None, **extra) -> None:
    payload = {
        "refund": refund.pk,
        "action": str(action),
        "amount": f"{refund.amount:.2f}",
        **extra,
    }
    record_event(case=refund.case, type=EventType.REFUND, actor=actor, payload=payload)


def refund_audit(refund: Refund, action: str, actor=None, **payload) -> None:
    audit_record(
        actor=actor,
        action=f"refund.{action}",
        object_type="refunds.refund",
        object_id=refund.pk,
        payload={"status": refund.status, "amount": f"{refund.amount:.2f}", **payload},
    )


# --- domain events --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _OfRefund:
    """What every refund event carries: the refund, its case, who acted (None: the pipeline)."""

    case: Any
    refund: Refund
    actor: Any = None


@dataclass(frozen=True, kw_only=True)
class ApprovalAsked(_OfRefund, DomainEvent):
    """A refund waits for approval in a new round (requested, or a retry sent back): its clock."""

    name = "refund.approval_asked"
    clock: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class Approved(_OfRefund, DomainEvent):
    """Enough approvals in its round: the approval clock stops, the customer is told."""

    name = "refund.approved"
    subject: str
    clock: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class Rejected(_OfRefund, DomainEvent):
    name = "refund.rejected"
    clock: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class Cancelled(_OfRefund, DomainEvent):
    """Withdrawn while it waited for approval (`was_pending`), or a failed one given up."""

    name = "refund.cancelled"
    clock: str
    at: datetime
    was_pending: bool


@dataclass(frozen=True, kw_only=True)
class Paid(_OfRefund, DomainEvent):
    """The provider paid it (the pipeline, or finance settling a review)."""

    name = "refund.paid"
    subject: str


@dataclass(frozen=True, kw_only=True)
class Failed(_OfRefund, DomainEvent):
    """The provider refused it for good (the pipeline, or finance settling a review)."""

    name = "refund.failed"
    subject: str
