"""What closing a case needs of the classification (`settings.CASE_CLOSE_GUARDS`, called by
`casework.services.workflow.case_transition` before a case is closed): all three codes."""

from django.utils.translation import gettext as _

from backoffice.errors import Conflict
from cases.models import Case
from regulatory.models import Axis, CaseCoding


def codes_complete(case: Case) -> None:
    coding = CaseCoding.objects.filter(case=case).first()
    missing = coding.missing_axes() if coding else list(Axis.values)
    if missing:
        raise Conflict(
            _("Case %(reference)s cannot be closed without its regulatory codes: %(axes)s missing.")
            % {
                "reference": case.reference,
                "axes": _(", ").join(str(Axis(axis).label) for axis in missing),
            },
            code="regulatory_codes_missing",
        )
