"""What `cases` may not change on an order once refunds build on it (registered in `ready()`)."""

from refunds.choices import RefundStatus
from refunds.models import Refund


def orders_with_refunds(order_pks: list[int]) -> set[int]:
    """The orders (of these) with a refund that is not rejected: their amount paid is the basis of
    what was refunded or is being refunded, so the recharge feed may no longer change it."""
    return set(
        Refund.objects.filter(order_id__in=order_pks)
        .exclude(status=RefundStatus.REJECTED)
        .values_list("order_id", flat=True)
        .distinct()
    )
