"""The saved-view forms. A view's filters are the case list's query string, accepted only if the
list's own FilterSet accepts every parameter (`casework.filtersets.CaseFilterSet`)."""

from django import forms
from django.http import QueryDict
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.roles import Role, has_role
from cases import permissions
from cases.models import Case, Queue
from casework.filtersets import CaseFilterSet
from casework.views.paging import ORDERINGS

LISTS = {"cases:case_list", "cases:my_cases", "cases:queue_cases"}
DROPPED = ("cursor",)  # a page position, not a filter


def clean_query(query: str) -> str:
    """The query string of a case list, re-encoded, or ValidationError naming the bad filter."""
    data = QueryDict(query or "", mutable=True)
    for name in DROPPED:
        data.pop(name, None)
    filters = CaseFilterSet.base_filters
    for name in data:
        if name != "ordering" and name not in filters:
            raise forms.ValidationError(_("Unknown filter “%(name)s”.") % {"name": name[:50]})
    if "ordering" in data and data.get("ordering") not in ORDERINGS:
        raise forms.ValidationError(_("Sort by: not a choice of the list."))
    filterset = CaseFilterSet(data, queryset=Case.objects.none())
    if not filterset.is_valid():
        field, errors = next(iter(filterset.form.errors.items()))
        label = filterset.form.fields[field].label or field
        raise forms.ValidationError(
            _("%(field)s: %(errors)s") % {"field": label, "errors": " ".join(errors)}
        )
    return data.urlencode()


class SavedViewForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("View name"), max_length=80)
    query = forms.CharField(
        label=gettext_lazy("Filters"), required=False, max_length=2000, widget=forms.HiddenInput
    )
    path = forms.CharField(label=gettext_lazy("List"), max_length=200, widget=forms.HiddenInput)

    def clean_query(self):
        return clean_query(self.cleaned_data.get("query", ""))

    def clean_path(self):
        path = self.cleaned_data["path"]
        try:
            match = resolve(path)
        except Resolver404:
            match = None
        if match is None or match.view_name not in LISTS:
            raise forms.ValidationError(_("Views are saved from a case list."))
        return path


def shareable_queues(user):
    """The queues the user may share a view with: those they supervise (none for agents)."""
    if not has_role(user, Role.SUPERVISOR):
        return Queue.objects.none()
    return Queue.objects.filter(pk__in=permissions.member_queue_ids(user)).order_by("code")


class ShareForm(forms.Form):
    """Any queue by code (empty: stop sharing); whether the user may share with it is
    `desk.policy.may_share`'s answer, which the service enforces."""

    queue = forms.ModelChoiceField(
        label=gettext_lazy("Share with queue"),
        queryset=Queue.objects.all(),
        required=False,
        to_field_name="code",
    )
