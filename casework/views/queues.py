"""The queue overview and the case lists (a queue, my cases, all queues), filtered by the one
`CaseFilterSet`, sorted by SLA due time or creation, keyset-paginated; bulk claim and assign."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from backoffice.roles import Role, has_role
from backoffice.widgets import InlineCheckboxSelectMultiple
from cases import permissions
from cases.choices import OPEN_STATUSES
from cases.models import Queue
from casework import presence, selectors
from casework.filtersets import CaseFilterSet
from casework.forms import BulkForm
from casework.views.base import StaffRequiredMixin, is_partial
from casework.views.bulk import bulk_choices, run_bulk
from casework.views.paging import ORDERINGS, keyset_page
from casework.views.sla import case_sla
from privacy.policy import may_export_full
from sla.counts import overview_counts

CHECKBOX_FILTERS = ("status", "sla_state", "priority", "category", "flag", "channel", "queue")
SORTS = [
    ("next_due_at", gettext_lazy("SLA due: soonest first")),
    ("-next_due_at", gettext_lazy("SLA due: latest first")),
    ("-created_at", gettext_lazy("Created: newest first")),
    ("created_at", gettext_lazy("Created: oldest first")),
]


def visible_queues(user):
    if permissions.sees_all_cases(user):
        return Queue.objects.order_by("code")
    return Queue.objects.filter(pk__in=permissions.member_queue_ids(user)).order_by("code")


class QueueOverviewView(StaffRequiredMixin, TemplateView):
    """The overview; its counts poll the same URL for the htmx fragment (`#overview`)."""

    template_name = "cases/queue_list.html"

    def get_template_names(self):
        if is_partial(self.request):
            return ["cases/partials/overview_table.html"]
        return [self.template_name]

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        patch_vary_headers(response, ["HX-Request"])
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        queues = list(visible_queues(self.request.user))
        counts, context["counted_at"] = overview_counts([q.pk for q in queues])
        empty = {"open": 0, "unassigned": 0, "at_risk": 0, "breached": 0}
        context["rows"] = [(q, counts.get(q.pk, empty)) for q in queues]
        context["totals"] = {
            key: sum(counts.get(q.pk, empty)[key] for q in queues) for key in empty
        }
        context["sees_all_queues"] = has_role(self.request.user, *AllCasesView.roles)
        context["can_take_next"] = permissions.is_case_worker(self.request.user)
        context["live"] = settings.LIVE_POLL_SECONDS
        return context


class CaseListView(StaffRequiredMixin, TemplateView):
    """A filtered, sorted, keyset-paginated list of cases; POST is the bulk action."""

    template_name = "cases/case_list.html"
    partial_template = "cases/partials/case_table.html"
    hidden_filters: tuple[str, ...] = ()
    dropped_filters: tuple[str, ...] = ("created_after", "created_before", "breached", "queue")
    title = gettext_lazy("Cases")

    def base_queryset(self):
        return selectors.case_list(self.request.user)

    def assignable_queues(self):
        return permissions.member_queue_ids(self.request.user)

    def filter_data(self) -> QueryDict:
        data = self.request.GET.copy()
        if "status" not in data:
            data.setlist("status", sorted(OPEN_STATUSES))
        for name in self.hidden_filters:
            data.pop(name, None)
        return data

    def filterset(self) -> CaseFilterSet:
        filterset = CaseFilterSet(
            self.filter_data(), queryset=self.base_queryset(), request=self.request
        )
        form = filterset.form
        form.label_suffix = ""
        for name in CHECKBOX_FILTERS:
            if name in form.fields:
                field = form.fields[name]
                field.widget = InlineCheckboxSelectMultiple(choices=field.choices)
        if "due_before" in form.fields:
            form.fields["due_before"].widget = forms.DateTimeInput(attrs={"type": "datetime-local"})
        for name in (*self.dropped_filters, *self.hidden_filters):
            form.fields.pop(name, None)
        return filterset

    def ordering(self) -> str:
        """The chosen sort; by default SLA due time, but newest first when every status chosen is
        past its clocks (resolved, closed): their due time is "none" for all, and walking the
        due-time index past every open case to reach them took 200 ms at 1,000,000 cases."""
        value = self.request.GET.get("ordering", "")
        if value in ORDERINGS:
            return value
        if OPEN_STATUSES.isdisjoint(self.filter_data().getlist("status")):
            return "-created_at"
        return "next_due_at"

    def query_without(self, *names) -> str:
        data = self.request.GET.copy()
        for name in names:
            data.pop(name, None)
        return data.urlencode()

    def bulk_assignees(self) -> list[str]:
        if not permissions.assigns_to_others(self.request.user):
            return []
        users = permissions.assignable_users(self.assignable_queues())
        return list(users.values_list("username", flat=True))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset = self.filterset()
        ordering = self.ordering()
        page = keyset_page(filterset.qs, ordering=ordering, cursor=self.request.GET.get("cursor"))
        now = timezone.now()
        user = self.request.user
        present = presence.others_in_many([c.pk for c in page.items], user=user)
        for case in page.items:
            case.sla_view = case_sla(case, now)
            case.others = present.get(case.pk, [])
        can_claim = permissions.is_case_worker(user)
        bulk_assignees = self.bulk_assignees()
        context.update(
            title=self.title,
            filter_form=filterset.form,
            page=page,
            ordering=ordering,
            sorts=SORTS,
            query=self.query_without("cursor"),
            query_unsorted=self.query_without("cursor", "ordering"),
            can_claim=can_claim,
            can_take_next=can_claim,
            bulk_assignees=bulk_assignees,
            bulk=can_claim or bool(bulk_assignees),
            **bulk_choices(user, bulk_assignees),
            show_queue=True,
            live=settings.LIVE_POLL_SECONDS,
        )
        return context

    def get_template_names(self):
        return [self.partial_template if is_partial(self.request) else self.template_name]

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        patch_vary_headers(response, ["HX-Request"])
        return response

    def post(self, request, *args, **kwargs):
        form = BulkForm(request.POST)
        if form.is_valid():
            self.bulk(form)
        else:
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
        if is_partial(request):
            context = self.get_context_data(**kwargs)
            return render(request, self.partial_template, context)
        return redirect(request.get_full_path())

    def bulk(self, form: BulkForm) -> None:
        run_bulk(self.request, form)


class MyCasesView(CaseListView):
    title = gettext_lazy("My cases")
    hidden_filters = ("assignee",)
    roles = (Role.AGENT, Role.SUPERVISOR)

    def base_queryset(self):
        return super().base_queryset().filter(assignee=self.request.user)


class QueueCasesView(CaseListView):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.queue = visible_queues(request.user).filter(code=kwargs["code"]).first()
            if self.queue is None and self.allowed(request.user):
                raise Http404(_("No such queue."))
        return super().dispatch(request, *args, **kwargs)

    @property
    def title(self):
        return self.queue.name

    def base_queryset(self):
        return super().base_queryset().filter(queue=self.queue)

    def assignable_queues(self):
        return [self.queue.pk]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(queue=self.queue, show_queue=False)
        return context


class AllCasesView(CaseListView):
    """Every queue the user sees, in one list (supervisors, finance, managers)."""

    title = gettext_lazy("All queues")
    roles = (Role.SUPERVISOR, Role.FINANCE, Role.MANAGER)
    dropped_filters = ("created_after", "created_before", "breached")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The export (privacy.views.CaseExportView) of the same filter; full values on request
        # for the roles that may (privacy/policy.py), masked otherwise.
        context["export_params"] = [
            (name, value)
            for name in sorted(self.request.GET)
            if name not in ("cursor", "format", "full")
            for value in self.request.GET.getlist(name)
        ]
        context["may_export_full"] = may_export_full(self.request.user)
        return context
