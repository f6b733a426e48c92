"""The held-mail screen (agents, supervisors, managers): mail that named a case from another
address, or a case that does not exist, waits here until an agent attaches it to a case (after
checking who sent it) or discards it with a reason."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from backoffice.errors import DomainError, Invalid
from backoffice.roles import Role
from cases.models import Case
from casework.views.base import StaffRequiredMixin, apply_invalid, report
from inbound import policy, selectors, services
from inbound.filtersets import HeldMessageFilterSet
from inbound.forms import AttachForm, DiscardForm
from inbound.models import InboundMessage, InboundStatus

HELD_ROLES = (Role.AGENT, Role.SUPERVISOR, Role.MANAGER)
LIMIT = 200


def held_page(request, *, bound: dict | None = None, status: int = 200):
    """The list, with each row's two forms (the one just posted bound, with its errors)."""
    filterset = HeldMessageFilterSet(request.GET, queryset=selectors.held_messages())
    filterset.form.label_suffix = ""
    if not filterset.is_valid():
        status = 400
        found = selectors.held_messages().none()
    else:
        found = filterset.qs
    bound = bound or {}
    rows = [
        {
            "message": message,
            "reason": policy.reason_text(message.reason),
            "attach_form": bound.get(("attach", message.pk))
            or AttachForm(
                auto_id=f"attach-{message.pk}-%s",
                initial={"reference": message.case.reference if message.case else ""},
            ),
            "discard_form": bound.get(("discard", message.pk))
            or DiscardForm(auto_id=f"discard-{message.pk}-%s"),
        }
        for message in found[:LIMIT]
    ]
    context = {"rows": rows, "filter_form": filterset.form, "total": found.count()}
    return render(request, "inbound/inboundmessage_list.html", context, status=status)


class HeldListView(StaffRequiredMixin, View):
    roles = HELD_ROLES

    def get(self, request):
        return held_page(request)


class HeldActionView(StaffRequiredMixin, View):
    roles = HELD_ROLES
    http_method_names = ["get", "post"]
    form_class = AttachForm
    key = ""

    def get(self, request, pk):
        return redirect("inbound:held_list")

    def post(self, request, pk):
        if not InboundMessage.objects.filter(pk=pk, status=InboundStatus.HELD).exists():
            raise Http404(_("No such held message."))
        form = self.form_class(request.POST, auto_id=f"{self.key}-{pk}-%s")
        if form.is_valid():
            try:
                messages.success(request, self.perform(pk, form.cleaned_data))
                return redirect("inbound:held_list")
            except Invalid as exc:
                apply_invalid(form, exc)
            except DomainError as exc:
                report(request, exc)
                return held_page(request, status=exc.status)
        messages.error(request, _("Check the highlighted fields."))
        return held_page(request, bound={(self.key, pk): form}, status=400)


class HeldAttachView(HeldActionView):
    form_class = AttachForm
    key = "attach"

    def perform(self, pk: int, data: dict) -> str:
        case = Case.objects.filter(reference=data["reference"]).first()
        if case is None:
            raise Invalid({"reference": [_("No case has this reference.")]})
        row = services.held_attach(actor=self.request.user, inbound_id=pk, case=case)
        return _("The message was added to %(reference)s.") % {"reference": row.case.reference}


class HeldDiscardView(HeldActionView):
    form_class = DiscardForm
    key = "discard"

    def perform(self, pk: int, data: dict) -> str:
        services.held_discard(actor=self.request.user, inbound_id=pk, reason=data["reason"])
        return _("The message was discarded.")
