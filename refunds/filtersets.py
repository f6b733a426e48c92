import re

import django_filters as filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.api.filters import FilterSet
from backoffice.api.timefields import BoundedIsoDateTimeFilter
from refunds import policy
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


NEEDS = [
    ("", _("Everything that needs finance")),
    ("failed", _("Failed: retry or cancel")),
    ("needs_review", _("Needs review: settle")),
    ("stuck", _("Waiting on the provider too long")),
    ("recent", _("Paid or cancelled in the last 24 hours")),
]


class FinanceConsoleFilterSet(filters.FilterSet):
    """The one FilterSet of the finance console: which refunds need finance, and narrowing them by
    reference, case, order and amount. Every filter is on the refund row or one joined row, so
    none needs DISTINCT."""

    need = filters.ChoiceFilter(
        choices=NEEDS[1:], empty_label=NEEDS[0][1], method="filter_need", label=_("Showing")
    )
    q = filters.CharFilter(
        method="filter_q", max_length=40, label=_("Refund, case or order reference")
    )
    amount_min = filters.NumberFilter(
        field_name="amount", lookup_expr="gte", label=_("Amount from"), min_value=0
    )
    amount_max = filters.NumberFilter(
        field_name="amount", lookup_expr="lte", label=_("Amount up to"), min_value=0
    )

    class Meta:
        model = Refund
        fields = []

    def filter_queryset(self, queryset):
        # Without a choice, everything that needs finance (the field's empty choice).
        if not self.form.cleaned_data.get("need"):
            queryset = queryset.filter(policy.needs_finance_q(timezone.now()))
        return super().filter_queryset(queryset)

    def filter_need(self, queryset, name, value):
        now = timezone.now()
        if value == "stuck":
            return queryset.filter(policy.stuck_q(now))
        if value == "recent":
            return queryset.filter(policy.recently_finished_q(now))
        return queryset.filter(status=value)

    def filter_q(self, queryset, name, value):
        value = value.strip()
        number = re.fullmatch(r"(?i)(?:RF-?)?0*(\d{1,12})", value)
        found = Q(case__reference=value.upper()) | Q(order__order_id=value)
        if number:
            found |= Q(pk=int(number.group(1)))
        return queryset.filter(found)
