"""The case workspace (`/cases/<reference>/`): every panel, the newest page of the timeline and the
actions the user's role allows. Actions re-render it whole (htmx swaps `#workspace`) or redirect
back to it. `/cases/<reference>/timeline/?before=<event>` is an older page of the timeline: the
entries alone for htmx (appended to the list), a page of its own otherwise."""

from django.conf import settings
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView

from backoffice.wiring import plugged
from cases import permissions, policy
from cases.models import Case
from casework import presence, selectors
from casework.forms import (
    AssignForm,
    AttachmentForm,
    CaseIncidentForm,
    ExtendForm,
    MergeForm,
    ReplyForm,
    StatusForm,
)
from casework.queue_cache import QueueData
from casework.views.base import StaffRequiredMixin, is_partial
from casework.views.checklist import credit_panel
from casework.views.sla import case_sla, clock_views
from casework.views.timeline import timeline_page
from macros.forms import macro_form
from notifications.selectors import canned_summaries
from privacy import policy as privacy_policy
from privacy.models import Purpose
from sla.policy import has_running_regulatory


# Panels other apps add to the workspace (`cases` never imports `refunds`): a provider
def case_or_404(user, reference: str) -> Case:
    case = selectors.workspace_case(
        selectors.case_workspace(user).filter(reference=reference.upper())
    )
    if case is None:
        raise Http404(_("No such case."))
    return case


def _assignable(case: Case) -> list[str]:
    return list(permissions.assignable_users([case.queue_id]).values_list("username", flat=True))


def _customer_cases(user, case: Case) -> list[Case]:
    return list(
        selectors.cases_visible_to(user)
        .filter(customer_id=case.customer_id)
        .exclude(pk=case.pk)
        .only("reference", "subject", "status", "category", "created_at", "queue_id", "merged_into")
        .order_by("-created_at", "-id")[:10]
    )


def _merge_candidates(user, case: Case, others: list[Case]) -> list[Case]:
    return [c for c in others if policy.may_merge_into(user, c)]


def _action_forms(request, case: Case, forms: dict, others: list[Case], clocks) -> dict:
    """Each action the user may take on the case now, with its (possibly bound) form. What the
    forms offer that is the queue's (agents, macros) or everyone's (open incidents) comes from
    `queue_cache`."""
    user = request.user
    shared = QueueData(case.queue_id)
    actions = {"claim": policy.may_claim(user, case)}
    if policy.may_assign_others(user, case):
        actions["assign"] = forms.get("assign") or AssignForm(usernames=shared.assignable())
    if policy.may_reply(user, case):
        actions["reply"] = forms.get("reply") or ReplyForm()
        picker = forms.get("macro") or macro_form(case, macros=shared.macros(case.category))
        if picker.macros:
            actions["macro"] = picker
    if policy.may_change_status(user, case):
        actions["status"] = forms.get("status") or StatusForm(
            current=case.status, canned=canned_summaries(case)
        )
    regulatory_running = has_running_regulatory(c.clock for c in clocks)
    if policy.may_extend(user, case, regulatory_running=regulatory_running):
        actions["extend"] = forms.get("extend") or ExtendForm()
    if policy.may_link_incident(user, case):
        incidents = shared.open_incidents()
        if incidents:
            actions["incident"] = forms.get("incident") or CaseIncidentForm(incidents=incidents)
    if policy.may_merge(user, case):
        candidates = _merge_candidates(user, case, others)
        if candidates:
            actions["merge"] = forms.get("merge") or MergeForm(candidates=candidates)
    return actions


def workspace_context(
    request, case: Case, forms: dict | None = None, stale: list | None = None
) -> dict:
    forms = forms or {}
    user = request.user
    now = timezone.now()
    can_work = permissions.can_work_case(user, case)
    clocks = clock_views(case, now)
    others = _customer_cases(user, case)
    timeline = timeline_page(case)
    panels = []
    # settings.CASE_WORKSPACE_PANELS: `provider(request, case, forms) -> dict | None`, with "template"
    for provider in plugged("CASE_WORKSPACE_PANELS"):
        panel = provider(request, case, forms)
        if panel:
            panels.append(panel)
    return {
        "case": case,
        "now": now,
        "can_work": can_work,
        "can_incidents": permissions.can_manage_incidents(user),
        "may_decide_contact": policy.may_decide_contact(user, case),
        "revealable": privacy_policy.revealable_fields(user, case),
        "reveal_purposes": Purpose.choices,
        "flags": [f for f in case.flags.all() if f.cleared_at is None],
        "clocks": clocks,
        "sla": case_sla(case, now),
        "customer_cases": others,
        "contact_changes": selectors.pending_contact_changes(case.customer_id)
        if case.has_contact_changes
        else [],
        "credit": credit_panel(
            case, editable=policy.may_triage(user, case), form=forms.get("sub_cause")
        ),
        "timeline": timeline.entries,
        "timeline_older": timeline.older,
        "case_version": case.version,
        "stale": stale or [],
        "presence": presence.others_in(case.pk, user=user),
        "live": settings.LIVE_POLL_SECONDS,
        "files": selectors.case_files(case) if case.has_files else [],
        "attach_form": (forms.get("attach") or AttachmentForm())
        if policy.may_attach(user, case)
        else None,
        "actions": _action_forms(request, case, forms, others, clocks),
        "panels": panels,
    }


def workspace_template(request) -> str:
    return "cases/partials/workspace.html" if is_partial(request) else "cases/case_detail.html"


def render_workspace(
    request, case: Case, *, forms: dict | None = None, status: int = 200, stale: list | None = None
):
    """The workspace after an action: the fragment for htmx, the page otherwise."""
    fresh = selectors.workspace_case(selectors.case_workspace(request.user).filter(pk=case.pk))
    if fresh is None:
        raise Http404(_("No such case."))
    response = render(
        request,
        workspace_template(request),
        workspace_context(request, fresh, forms, stale),
        status=status,
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


class CaseDetailView(StaffRequiredMixin, DetailView):
    context_object_name = "case"

    def get_object(self, queryset=None):
        return case_or_404(self.request.user, self.kwargs["reference"])

    def get_template_names(self):
        return [workspace_template(self.request)]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(workspace_context(self.request, self.object))
        return context

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        patch_vary_headers(response, ["HX-Request"])
        return response


class TimelineView(StaffRequiredMixin, View):
    """GET `?before=<event id>`: the timeline's page before that entry (without: the newest)."""

    def get(self, request, reference):
        before = request.GET.get("before")
        if before is not None and (not before.isdigit() or int(before) >= 2**63):
            return HttpResponseBadRequest(_("before: give the id of a timeline entry."))
        case = selectors.cases_visible_to(request.user).filter(reference=reference.upper()).first()
        if case is None:
            raise Http404(_("No such case."))
        page = timeline_page(case, before=int(before) if before is not None else None)
        context = {"case": case, "timeline": page.entries, "timeline_older": page.older}
        if is_partial(request):
            context["older_page"] = True  # its first entry takes the focus once appended
            response = render(request, "cases/partials/ws_timeline_entries.html", context)
        else:
            response = render(request, "cases/case_timeline.html", context)
        patch_vary_headers(response, ["HX-Request"])
        return response
