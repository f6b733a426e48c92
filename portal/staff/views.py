"""The staff screens of the satisfaction survey: the supervisors' follow-up list ("满意度回访"),
closing a follow-up with a note, and the workspace panel (the answers of the case's cycles and
the cases it follows or that follow it). The customer's own screens are `portal.views`."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from backoffice.errors import DomainError, Invalid
from backoffice.roles import CASE_WORKERS, has_role
from cases import permissions
from cases.models import Case
from portal import policy, selectors, surveys
from portal.filtersets import SatisfactionFilterSet
from portal.models import FollowUp, Satisfaction

PAGE = 50


class StaffRequiredMixin(LoginRequiredMixin):
    """Signed-in staff (as `casework.views.base`'s, which this layer may not import): anonymous
    users go to the login page, others without the role get 403."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not self.allowed(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def allowed(self, user) -> bool:
        return has_role(user, *CASE_WORKERS)


class FollowUpListView(StaffRequiredMixin, View):
    """Open follow-ups by default; `?follow_up=done` the closed ones."""

    def allowed(self, user) -> bool:
        return policy.sees_follow_ups(user)

    def get(self, request):
        return self.render_list(request)

    def render_list(self, request, *, errors=None):
        data = request.GET.copy()
        data.setdefault("follow_up", FollowUp.OPEN)
        filterset = SatisfactionFilterSet(
            data, queryset=selectors.follow_ups(request.user), request=request
        )
        valid = filterset.is_valid()
        rows = list(filterset.qs[:PAGE]) if valid else []
        return render(
            request,
            "portal/satisfaction_list.html",
            {"filter": filterset, "rows": rows, "page": PAGE, "close_errors": errors or {}},
            status=200 if valid and not errors else 400,
        )


def _back(request, survey) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("portal_csat:follow_ups")


class FollowUpCloseView(StaffRequiredMixin, View):
    def post(self, request, pk):
        found = Satisfaction.objects.select_related("case").filter(pk=pk) if pk < 2**63 else None
        survey = found.first() if found is not None else None
        if survey is None or not permissions.can_view_case(request.user, survey.case):
            raise Http404(_("No such survey."))
        if not policy.may_close_follow_up(request.user, survey):
            raise PermissionDenied
        try:
            surveys.follow_up_close(
                actor=request.user, survey=survey, note=request.POST.get("note", "")
            )
        except Invalid as exc:
            errors = {_("Note"): [str(m) for m in exc.errors.get("note", [exc.message])]}
            return FollowUpListView().render_list(request, errors=errors)
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return redirect(_back(request, survey))
        messages.success(request, _("The follow-up is closed."))
        return redirect(_back(request, survey))


def satisfaction_panel(request, case, forms) -> dict | None:
    """The case's survey answers and follow-ups, and its linked cases (前序投诉 / 后续投诉)."""
    answered = [s for s in selectors.surveys_of_case(case) if s.answered_at is not None]
    follows = case.follows if case.follows_id else None
    followers = (
        list(Case.objects.filter(follows=case).order_by("pk").only("pk", "reference", "queue_id"))
        # the workspace's case says whether it has any (casework.selectors.case_workspace)
        if getattr(case, "has_followers", True)
        else []
    )
    user = request.user
    if follows is not None and not permissions.can_view_case(user, follows):
        follows = None
    followers = [c for c in followers if permissions.can_view_case(user, c)]
    if not answered and follows is None and not followers:
        return None
    for survey in answered:
        survey.closable = survey.follow_up == FollowUp.OPEN and policy.may_close_follow_up(
            user, survey
        )
    return {
        "template": "portal/partials/case_satisfaction.html",
        "surveys": answered,
        "follows": follows,
        "followers": followers,
    }
