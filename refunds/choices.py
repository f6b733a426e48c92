from django.db import models
from django.utils.translation import gettext_lazy as _


class RefundStatus(models.TextChoices):
    PENDING_APPROVAL = "pending_approval", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")
    PROCESSING = "processing", _("Processing")
    OUTCOME_UNKNOWN = "outcome_unknown", _("Outcome unknown")
    SUCCEEDED = "succeeded", _("Paid")
    FAILED = "failed", _("Failed")
    NEEDS_REVIEW = "needs_review", _("Needs review by finance")


# Refunds that count against what the order can still refund (Σ ≤ amount paid) and toward the
# cumulative amount a tier is decided on: everything paid or in flight, and a failed refund until it
# is cancelled (a retry can pay it, so it still counts; docs/security.md, "Money").
COUNTED_STATUSES = frozenset(
    {
        RefundStatus.PENDING_APPROVAL,
        RefundStatus.FAILED,
        RefundStatus.APPROVED,
        RefundStatus.PROCESSING,
        RefundStatus.OUTCOME_UNKNOWN,
        RefundStatus.SUCCEEDED,
        RefundStatus.NEEDS_REVIEW,
    }
)


class Liability(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    COMPANY = "company", _("Company")
    CARRIER = "carrier", _("Carrier")


class Decision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")


class AttemptStatus(models.TextChoices):
    STARTED = "started", _("Sent, no answer yet")
    PENDING = "pending", _("Accepted, settling")
    SUCCEEDED = "succeeded", _("Paid")
    FAILED = "failed", _("Refused")
    UNKNOWN = "unknown", _("Outcome unknown")
