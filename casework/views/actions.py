"""The workspace's actions. Each is a POST that calls one service.

Each form carries the version of the case its page showed (`version`, the id of the case's latest
timeline event). When the case changed since, nothing is done: the workspace comes back (409) with
what changed, the form as the user filled it and the new version, so sending again is a decision
made on the current case. A POST without a version (an older page, a script) is not checked.

Without JavaScript: success or a refusal redirects back to the workspace with a message; invalid
input re-renders the page with the errors next to the fields (400). With htmx the workspace
fragment comes back instead, with the same messages and errors and the same status codes.
"""

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from backoffice.errors import DomainError, Invalid
from cases.choices import Status
from cases.models import Case, Incident
from cases.transitions import is_reopen
from casework import selectors, services
from casework.forms import (
    AssignForm,
    CaseIncidentForm,
    ExtendForm,
    MergeForm,
    ReplyForm,
    StatusForm,
    SubCauseForm,
)
from casework.views.base import StaffRequiredMixin, apply_invalid, is_partial, report
from casework.views.timeline import change_entries
from casework.views.workspace import _assignable, render_workspace
from notifications.selectors import canned_summaries
from risk.triage import case_checklist_tick, case_set_sub_cause


class CaseActionView(StaffRequiredMixin, View):
    """POST-only; subclasses give `form_key`, `make_form` and `perform` (returns the message)."""

    http_method_names = ["get", "post"]
    form_key: str | None = None

    def get(self, request, *args, **kwargs):
        """An action URL opened directly (a reload, the language switch): back to the case."""
        return redirect("cases:case_detail", reference=self.kwargs["reference"].upper())

    def make_form(self, case: Case):
        return None

    def perform(self, case: Case, form) -> str:
        raise NotImplementedError

    def get_case(self) -> Case:
        try:
            return selectors.case_for_update(self.request.user, self.kwargs["reference"].upper())
        except DomainError as exc:
            raise Http404(str(exc)) from exc

    def post(self, request, *args, **kwargs):
        case = self.get_case()
        form = self.make_form(case)
        if form is not None and not form.is_valid():
            return self.invalid(case, form)
        try:
            seen = seen_version(request.POST)
            with transaction.atomic():
                changes = [] if seen is None else selectors.case_changes_since(case, seen)
                text = None if changes else self.perform(case, form)
        except Invalid as exc:
            if form is None:
                report(request, exc)
                return self.finish(case, status=400)
            apply_invalid(form, exc)
            return self.invalid(case, form)
        except DomainError as exc:
            report(request, exc)
            return self.finish(case, status=exc.status)
        if changes:
            return self.stale(case, form, changes)
        messages.success(request, text)
        return self.finish(case)

    def stale(self, case: Case, form, changes: list):
        """The case changed since the page was rendered: nothing done, say what changed, ask again."""
        messages.error(
            self.request,
            _(
                "This case changed since you opened it, so nothing was done. Check the changes and send again."
            ),
        )
        forms = {self.form_key: form} if self.form_key and form is not None else {}
        return render_workspace(
            self.request, case, forms=forms, status=409, stale=change_entries(case, changes)
        )

    def success_url(self, case: Case) -> str:
        return reverse("cases:case_detail", args=[case.reference])

    def finish(self, case: Case, status: int = 200):
        if is_partial(self.request):
            return render_workspace(self.request, case, status=status)
        return redirect(self.success_url(case))

    def invalid(self, case: Case, form):
        messages.error(self.request, _("Check the highlighted fields."))
        return render_workspace(self.request, case, forms={self.form_key: form}, status=400)


def seen_version(data) -> int | None:
    """The case version the form was rendered from; None when the form sent none."""
    raw = data.get("version")
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = -1
    if value < 0:
        raise Invalid({"version": [_("The page's case version is not valid; reload the case.")]})
    return value


class ClaimView(CaseActionView):
    def perform(self, case, form):
        services.case_claim(actor=self.request.user, case=case)
        return _("You took case %(ref)s.") % {"ref": case.reference}


class AssignView(CaseActionView):
    form_key = "assign"

    def make_form(self, case):
        return AssignForm(self.request.POST, usernames=_assignable(case))

    def perform(self, case, form):
        name = form.cleaned_data["assignee"]
        services.case_assign(actor=self.request.user, case=case, assignee_username=name)
        return _("Case %(ref)s is assigned to %(user)s.") % {"ref": case.reference, "user": name}


class ReplyView(CaseActionView):
    form_key = "reply"

    def make_form(self, case):
        return ReplyForm(self.request.POST)

    def perform(self, case, form):
        services.case_reply(
            actor=self.request.user,
            case=case,
            body=form.cleaned_data["body"],
            internal=form.internal,
        )
        return _("Internal note added.") if form.internal else _("Reply sent to the customer.")


class StatusView(CaseActionView):
    form_key = "status"

    def make_form(self, case):
        return StatusForm(self.request.POST, current=case.status, canned=canned_summaries(case))

    def perform(self, case, form):
        data = form.cleaned_data
        actor = self.request.user
        if is_reopen(case.status, data["to"]):
            services.case_reopen(actor=actor, case=case, note=data["note"])
            return _("Case %(ref)s is reopened.") % {"ref": case.reference}
        services.case_transition(
            actor=actor,
            case=case,
            to=data["to"],
            root_cause=data["root_cause"],
            note=data["note"],
            customer_summary=data["customer_summary"],
        )
        return _("Case %(ref)s is now “%(status)s”.") % {
            "ref": case.reference,
            "status": Status(data["to"]).label,
        }


class ExtendView(CaseActionView):
    form_key = "extend"

    def make_form(self, case):
        return ExtendForm(self.request.POST)

    def perform(self, case, form):
        services.case_extend_deadline(
            actor=self.request.user, case=case, reason=form.cleaned_data["reason"]
        )
        return _("The regulatory deadline is extended.")


class LinkIncidentView(CaseActionView):
    form_key = "incident"

    def make_form(self, case):
        return CaseIncidentForm(self.request.POST, incidents=Incident.objects.order_by("code"))

    def perform(self, case, form):
        incident = Incident.objects.get(code=form.cleaned_data["incident"])
        services.incident_link(actor=self.request.user, incident=incident, cases=[case])
        return _("Case %(ref)s is linked to incident %(code)s.") % {
            "ref": case.reference,
            "code": incident.code,
        }


class MergeView(CaseActionView):
    form_key = "merge"

    def make_form(self, case):
        others = selectors.cases_visible_to(self.request.user).filter(customer_id=case.customer_id)
        return MergeForm(self.request.POST, candidates=others.exclude(pk=case.pk))

    def perform(self, case, form):
        into = selectors.case_for_update(self.request.user, form.cleaned_data["into"])
        services.case_merge(actor=self.request.user, duplicate=case, into=into)
        return _("Case %(ref)s is merged into %(into)s.") % {
            "ref": case.reference,
            "into": into.reference,
        }


class ChecklistTickView(CaseActionView):
    def perform(self, case, form):
        try:
            item = int(self.request.POST.get("item", ""))
        except ValueError as exc:
            raise Invalid({"item": [_("Choose a checklist item.")]}) from exc
        done = self.request.POST.get("done") == "1"
        case_checklist_tick(actor=self.request.user, case=case, item=item, done=done)
        return _("Checklist updated.")


class SubCauseView(CaseActionView):
    form_key = "sub_cause"

    def make_form(self, case):
        return SubCauseForm(self.request.POST)

    def perform(self, case, form):
        case_set_sub_cause(
            actor=self.request.user, case=case, sub_cause=form.cleaned_data["sub_cause"]
        )
        return _("The sub-cause is set.")


class ContactChangeView(CaseActionView):
    """Confirm or reject a customer contact change an intake sent (`casework.services.contacts`)."""

    def perform(self, case, form):
        try:
            change_id = int(self.request.POST.get("change", ""))
        except ValueError as exc:
            raise Invalid({"change": [_("Choose a contact change.")]}) from exc
        decision = self.request.POST.get("decision")
        if decision not in ("confirm", "reject"):
            raise Invalid({"decision": [_("Confirm or reject the change.")]})
        services.contact_change_decide(
            actor=self.request.user, case=case, change_id=change_id, confirm=decision == "confirm"
        )
        if decision == "confirm":
            return _("The customer's new contact is confirmed.")
        return _("The contact change is rejected; the contact on file stays.")
