"""What refunds add to a macro's variables (settings.MACRO_VALUE_PROVIDERS)."""

from refunds.choices import RefundStatus
from refunds.models import Refund


def refund_amount(case) -> dict[str, str]:
    """The amount of the case's latest refund that is not rejected or cancelled."""
    refund = (
        Refund.objects.filter(case_id=case.pk)
        .exclude(status__in=[RefundStatus.REJECTED, RefundStatus.CANCELLED])
        .order_by("-created_at", "-id")
        .only("amount", "currency")
        .first()
    )
    if refund is None:
        return {}
    return {"refund_amount": f"{refund.amount} {refund.currency}"}
