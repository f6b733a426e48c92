"""The workspace's regulatory-codes panel (`settings.CASE_WORKSPACE_PANELS`) and the
supervisor's correction from it."""

from django.utils.translation import gettext as _

from casework.views.actions import CaseActionView
from regulatory import policy, selectors, services
from regulatory.forms import CorrectionForm


def codes_panel(request, case, forms) -> dict | None:
    coding = selectors.coding_shown(case)
    if coding is None:
        return None
    can_correct = policy.may_correct(request.user, case)
    form = None
    if can_correct:
        form = forms.get("regulatory") or CorrectionForm(
            codes=selectors.codes_by_axis(coding.code_set_id), coding=coding
        )
    return {
        "template": "regulatory/partials/case_codes.html",
        "coding": coding,
        "can_correct": can_correct,
        "form": form,
    }


class CorrectCodesView(CaseActionView):
    form_key = "regulatory"

    def make_form(self, case):
        coding = selectors.coding_of(case)
        code_set_id = coding.code_set_id if coding else services.active_code_set().pk
        return CorrectionForm(self.request.POST, codes=selectors.codes_by_axis(code_set_id))

    def perform(self, case, form):
        services.coding_correct(actor=self.request.user, case=case, **form.cleaned_data)
        return _("The regulatory codes of %(reference)s are corrected.") % {
            "reference": case.reference
        }
