"""Mass incidents (supervisors and managers): the list, opening one, a page per incident with its
cases, linking cases by reference and resolving them all with one root cause."""

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from backoffice.errors import DomainError, Invalid
from cases import policy
from cases.choices import OPEN_STATUSES
from cases.models import Incident
from cases.permissions import INCIDENT_ROLES
from casework import selectors, services
from casework.forms import IncidentCasesForm, IncidentForm, IncidentResolveForm
from casework.views.base import StaffRequiredMixin, apply_invalid, is_partial, report


class IncidentListView(StaffRequiredMixin, ListView):
    roles = INCIDENT_ROLES
    template_name = "cases/incident_list.html"
    context_object_name = "incidents"
    paginate_by = None

    def get_queryset(self):
        return Incident.objects.annotate(
            open_cases=Count("cases", filter=Q(cases__status__in=OPEN_STATUSES)),
            all_cases=Count("cases"),
        ).order_by("-started_at", "-id")[:200]


class IncidentCreateView(StaffRequiredMixin, FormView):
    roles = INCIDENT_ROLES
    template_name = "cases/incident_form.html"
    form_class = IncidentForm

    def form_valid(self, form):
        try:
            incident = services.incident_open(actor=self.request.user, **form.cleaned_data)
        except Invalid as exc:
            apply_invalid(form, exc)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        except DomainError as exc:
            report(self.request, exc)
            return self.render_to_response(self.get_context_data(form=form), status=exc.status)
        messages.success(self.request, _("Incident %(code)s is open.") % {"code": incident.code})
        return redirect("cases:incident_detail", code=incident.code)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


def incident_context(request, incident: Incident, forms: dict | None = None) -> dict:
    forms = forms or {}
    visible = selectors.case_list(request.user).filter(incident=incident)
    cases = list(visible.order_by("-created_at", "-id")[:500])
    total = incident.cases.count()
    return {
        "incident": incident,
        "incident_open": policy.incident_is_open(incident),
        "cases": cases,
        "hidden_cases": max(0, total - len(cases)),
        "open_count": sum(1 for c in cases if policy.is_open(c)),
        "link_form": forms.get("link") or IncidentCasesForm(),
        "resolve_form": forms.get("resolve") or IncidentResolveForm(),
    }


def render_incident(request, incident: Incident, *, forms=None, status: int = 200):
    template = (
        "cases/partials/incident_body.html" if is_partial(request) else "cases/incident_detail.html"
    )
    incident.refresh_from_db()
    response = render(request, template, incident_context(request, incident, forms), status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


class IncidentDetailView(StaffRequiredMixin, TemplateView):
    roles = INCIDENT_ROLES

    def get(self, request, *args, **kwargs):
        incident = Incident.objects.filter(code=kwargs["code"]).first()
        if incident is None:
            raise Http404(_("No such incident."))
        return render_incident(request, incident)


class IncidentActionView(StaffRequiredMixin, View):
    roles = INCIDENT_ROLES
    http_method_names = ["get", "post"]
    form_class = None
    form_key = ""

    def get(self, request, *args, **kwargs):
        return redirect("cases:incident_detail", code=kwargs["code"])

    def post(self, request, *args, **kwargs):
        incident = Incident.objects.filter(code=kwargs["code"]).first()
        if incident is None:
            raise Http404(_("No such incident."))
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                messages.success(request, self.perform(incident, form))
            except Invalid as exc:
                apply_invalid(form, exc)
            except DomainError as exc:
                report(request, exc)
                return self.finish(incident, status=exc.status)
        if form.errors:
            messages.error(request, _("Check the highlighted fields."))
            return render_incident(request, incident, forms={self.form_key: form}, status=400)
        return self.finish(incident)

    def finish(self, incident, status: int = 200):
        if is_partial(self.request):
            return render_incident(self.request, incident, status=status)
        return redirect(reverse("cases:incident_detail", args=[incident.code]))


class IncidentLinkView(IncidentActionView):
    form_class = IncidentCasesForm
    form_key = "link"

    def perform(self, incident, form) -> str:
        refs = form.cleaned_data["references"]
        found = list(selectors.cases_visible_to(self.request.user).filter(reference__in=refs))
        missing = sorted(set(refs) - {c.reference for c in found})
        if missing:
            raise Invalid(
                {"references": [_("No such case: %(refs)s") % {"refs": ", ".join(missing)}]}
            )
        linked = services.incident_link(actor=self.request.user, incident=incident, cases=found)
        return _("%(n)d case(s) linked to %(code)s.") % {"n": linked, "code": incident.code}


class IncidentResolveView(IncidentActionView):
    form_class = IncidentResolveForm
    form_key = "resolve"

    def perform(self, incident, form) -> str:
        done = services.incident_resolve(
            actor=self.request.user,
            incident=incident,
            root_cause=form.cleaned_data["root_cause"],
            note=form.cleaned_data["note"],
        )
        if done.incident_resolved:
            return _("Incident %(code)s is resolved with %(n)d case(s).") % {
                "code": incident.code,
                "n": done.resolved,
            }
        return _(
            "%(n)d case(s) of incident %(code)s resolved. %(left)d linked case(s) outside your "
            "queues are still open, so the incident stays open for their supervisors."
        ) % {"code": incident.code, "n": done.resolved, "left": done.left_open}
