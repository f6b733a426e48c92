"""The one FilterSet of the watch list (API and admin)."""

import django_filters as filters

from backoffice.api.filters import FilterSet
from risk.choices import WatchStatus
from risk.models import FlaggedIp


class FlaggedIpFilterSet(FilterSet):
    status = filters.ChoiceFilter(choices=WatchStatus.choices)

    class Meta:
        model = FlaggedIp
        fields = []
