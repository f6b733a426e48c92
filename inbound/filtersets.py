"""The one FilterSet of the held-mail list."""

import django_filters as filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backoffice.api.filters import FilterSet
from cases.choices import ContactChannel
from inbound.models import InboundMessage
from inbound.policy import HELD_REASONS


class HeldMessageFilterSet(FilterSet):
    channel = filters.ChoiceFilter(choices=ContactChannel.choices, label=_("Channel"))
    reason = filters.ChoiceFilter(choices=HELD_REASONS, label=_("Why it is held"))
    q = filters.CharFilter(method="filter_q", label=_("Sender or subject"), max_length=200)

    class Meta:
        model = InboundMessage
        fields = ["channel", "reason", "q"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(sender__icontains=value) | Q(subject__icontains=value))
