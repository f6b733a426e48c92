"""The workspace's reveal action: `POST /cases/{reference}/reveal/` {field, purpose, note}.

Shows one personal field of the case's customer in full to a role the reveal table allows
(`privacy/policy.py`), after it names a purpose; the service writes the access record and the audit
entry. With htmx the answer is the field's fragment (the value, swapped in place of the masked one);
without, a small page with the value and a link back to the case. Refused: 403 with the reason;
bad input: 400 naming the field; a case outside the caller's scope: 404.
"""

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_lazy
from django.views import View

from backoffice.client_ip import client_ip
from backoffice.db.replica import on_replica
from backoffice.errors import DomainError, Invalid
from casework.views.base import StaffRequiredMixin, is_partial
from casework.views.queues import AllCasesView
from casework.views.workspace import case_or_404
from privacy.forms import RevealForm
from privacy.masking import masked
from privacy.services import export_log, logged_params, reveal
from reports import export


class RevealView(StaffRequiredMixin, View):
    http_method_names = ["get", "post"]

    def get(self, request, reference: str):
        """Opened directly (a reload): back to the case, where the reveal form is."""
        return redirect("cases:case_detail", reference=reference.upper())

    def post(self, request, reference: str):
        case = case_or_404(request.user, reference)
        form = RevealForm(request.POST)
        if not form.is_valid():
            return self.answer(request, case, form=form, status=400)
        data = form.cleaned_data
        try:
            revealed = reveal(
                actor=request.user,
                customer=case.customer,
                field=data["field"],
                purpose=data["purpose"],
                note=data["note"],
                case=case,
                ip=client_ip(request),
            )
        except Invalid as exc:
            for name, messages in exc.errors.items():
                form.add_error(name if name in form.fields else None, messages)
            return self.answer(request, case, form=form, status=400)
        except DomainError as exc:
            return self.answer(request, case, form=form, error=exc.message, status=exc.status)
        return self.answer(request, case, form=form, value=revealed.value, status=200)

    def answer(self, request, case, *, form, status, value=None, error=None):
        template = (
            "privacy/partials/revealed.html" if is_partial(request) else "privacy/revealed.html"
        )
        context = {
            "case": case,
            "form": form,
            "field": form.cleaned_data.get("field") if form.is_bound and form.is_valid() else "",
            "value": value,
            "error": error,
        }
        return render(request, template, context, status=status)


# --- The case list's export -----------------------------------------------------------------------

EXPORT_LIMIT = 100_000
EXPORT_FORMATS = ("csv", "xlsx")


class CaseExportView(AllCasesView):
    """`GET /cases/export/?<the list's filters>&format=csv|xlsx[&full=1]`: the cases the list
    shows (the caller's scope, the same `CaseFilterSet`), one row each, customer name, phone and
    e-mail masked unless `full=1` from a role that may export in full (privacy/policy.py).
    Every export writes an ExportRecord; a full one an audit entry too."""

    http_method_names = ["get"]

    def get(self, request, *args, **kwargs):
        fmt = request.GET.get("format", "csv")
        if fmt not in EXPORT_FORMATS:
            return _bad("format", gettext("Not csv or xlsx."))
        full_param = request.GET.get("full", "")
        if full_param not in ("", "0", "1"):
            return _bad("full", gettext("Not 0 or 1."))
        full = full_param == "1"
        filterset = self.filterset()
        if not filterset.is_valid():
            first = next(iter(filterset.errors))
            return _bad(first, " ".join(filterset.errors[first]))
        # The rows from the read replica when there is one; the log row on the primary after.
        cases, rows = on_replica(_export_rows, filterset.qs, full=full)
        try:
            export_log(
                actor=request.user,
                what="cases",
                params=logged_params(request.GET),
                row_count=len(cases),
                full=full,
                format=fmt,
            )
        except DomainError as exc:
            return _bad("full", exc.message, status=exc.status)
        headers = [str(h) for h in CASE_EXPORT_HEADERS]
        if fmt == "xlsx":
            return export.xlsx_response("cases", gettext("Cases"), headers, rows)
        return export.csv_response("cases", headers, rows)


def _export_rows(queryset, *, full: bool) -> tuple[list, list[list]]:
    cases = list(queryset.order_by("-created_at", "-id")[:EXPORT_LIMIT])
    return cases, [_case_row(case, full=full) for case in cases]


CASE_EXPORT_HEADERS = (
    gettext_lazy("Reference"),
    gettext_lazy("Status"),
    gettext_lazy("Category"),
    gettext_lazy("Channel"),
    gettext_lazy("Priority"),
    gettext_lazy("Queue"),
    gettext_lazy("Assignee"),
    gettext_lazy("Customer id"),
    gettext_lazy("Name"),
    gettext_lazy("Phone"),
    gettext_lazy("E-mail"),
    gettext_lazy("Created"),
)


def _case_row(case, *, full: bool) -> list:
    customer = case.customer

    def shown(field: str) -> str:
        return getattr(customer, field) if full else masked(customer, field)

    return [
        case.reference,
        case.get_status_display(),
        case.get_category_display(),
        case.get_channel_display(),
        case.get_priority_display(),
        case.queue.name,
        case.assignee.get_username() if case.assignee_id else "",
        customer.external_id,
        shown("name"),
        shown("phone"),
        shown("email"),
        case.created_at,
    ]


def _bad(field: str, message: str, status: int = 400) -> HttpResponse:
    return HttpResponse(
        f"{field}: {message}", status=status, content_type="text/plain; charset=utf-8"
    )
