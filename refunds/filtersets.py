import django_filters as filters

from backoffice.api.filters import FilterSet
from backoffice.api.timefields import BoundedIsoDateTimeFilter
from refunds.choices import Liability, RefundStatus
from refunds.models import Refund


class RefundFilterSet(FilterSet):
    status = filters.MultipleChoiceFilter(choices=RefundStatus.choices, distinct=False)
    liability = filters.MultipleChoiceFilter(choices=Liability.choices, distinct=False)
    case = filters.CharFilter(field_name="case__reference", max_length=24)
    requester = filters.CharFilter(field_name="requester__username", max_length=150)
    created_after = BoundedIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = BoundedIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Refund
        fields = []
