"""Refund events: every change of a refund writes a timeline event on its case (type `refund`, the
step in `payload.action`) and an audit row, in the same transaction; and the `refund:<id>` subject
that names a refund to the SLA clocks, the notifications and the provider."""

from enum import StrEnum

from backoffice.audit.services import audit_record
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
