"""The one FilterSet of the satisfaction follow-up list (the supervisors' "满意度回访")."""

import django_filters as filters
from django.utils.translation import gettext_lazy as _

from backoffice.api.filters import FilterSet
from backoffice.api.timefields import BoundedIsoDateTimeFilter
from cases.models import Queue
from casework.filtersets import QueueCodeFilter
from portal.models import FollowUp, Satisfaction

FOLLOW_UP_STATES = [(FollowUp.OPEN, FollowUp.OPEN.label), (FollowUp.DONE, FollowUp.DONE.label)]
SCORES = [(str(n), str(n)) for n in range(1, 6)]


class SatisfactionFilterSet(FilterSet):
    follow_up = filters.ChoiceFilter(
        choices=FOLLOW_UP_STATES, label=_("Follow-up"), empty_label=None
    )
    queue = QueueCodeFilter(
        field_name="queue__code",
        to_field_name="code",
        label=_("Queue"),
        queryset=Queue.objects.all(),
        distinct=False,
    )
    score = filters.MultipleChoiceFilter(choices=SCORES, label=_("Score"), distinct=False)
    answered_after = BoundedIsoDateTimeFilter(
        field_name="answered_at", lookup_expr="gte", label=_("Answered from")
    )
    answered_before = BoundedIsoDateTimeFilter(
        field_name="answered_at", lookup_expr="lt", label=_("Answered before")
    )

    class Meta:
        model = Satisfaction
        fields = ["follow_up", "queue", "score", "answered_after", "answered_before"]
