"""Reads of the risk package: the watch list with the count of its open cases."""

from django.db.models import F, Func, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from cases.choices import OPEN_STATUSES
from cases.models import Case
from risk.models import FlaggedIp


def linked_open_cases(ip: str) -> QuerySet[Case]:
    """Open cases whose recharge order came from this IP (any time)."""
    return Case.objects.filter(status__in=OPEN_STATUSES, recharge_order__client_ip=ip)


def flagged_ip_list() -> QuerySet[FlaggedIp]:
    """The watch list, newest burst first, each entry with `linked_open_cases` (a subquery count
    on the `(client_ip, placed_at)` index, not a join)."""
    count = (
        Case.objects.filter(status__in=OPEN_STATUSES, recharge_order__client_ip=OuterRef("ip"))
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    return (
        FlaggedIp.objects.select_related("cleared_by")
        .annotate(
            linked_open_cases=Coalesce(
                Subquery(count, output_field=IntegerField()), Value(0), output_field=IntegerField()
            )
        )
        .order_by("-last_seen", "-id")
    )
