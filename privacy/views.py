"""The workspace's reveal action: `POST /cases/{reference}/reveal/` {field, purpose, note}.

Shows one personal field of the case's customer in full to a role the reveal table allows
(`privacy/policy.py`), after it names a purpose; the service writes the access record and the audit
entry. With htmx the answer is the field's fragment (the value, swapped in place of the masked one);
without, a small page with the value and a link back to the case. Refused: 403 with the reason;
bad input: 400 naming the field; a case outside the caller's scope: 404.
"""

from django.shortcuts import redirect, render
from django.views import View

from backoffice.client_ip import client_ip
from backoffice.errors import DomainError, Invalid
from casework.views.base import StaffRequiredMixin, is_partial
from casework.views.workspace import case_or_404
from privacy.forms import RevealForm
from privacy.services import reveal


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
