""" "Next case": one POST claims the most urgent unassigned case of the user's queues and opens it."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View

from backoffice.errors import DomainError
from backoffice.roles import Role
from casework import services
from casework.views.base import StaffRequiredMixin, report


class NextCaseView(StaffRequiredMixin, View):
    http_method_names = ["get", "post"]
    roles = (Role.AGENT, Role.SUPERVISOR)

    def get(self, request, *args, **kwargs):
        """Opened directly (a reload): nothing is claimed by a GET; back to the queues."""
        return redirect("cases:queue_overview")

    def post(self, request, *args, **kwargs):
        try:
            case = services.case_claim_next(actor=request.user)
        except DomainError as exc:
            report(request, exc)
            return redirect("cases:queue_overview")
        if case is None:
            messages.info(request, _("No unassigned open case is left in your queues. Well done."))
            return redirect("cases:queue_overview")
        messages.success(
            request,
            _("%(ref)s is yours now: the most urgent case of your queues.")
            % {"ref": case.reference},
        )
        return redirect("cases:case_detail", reference=case.reference)
