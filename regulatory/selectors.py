"""Reads of the classification: a case's coding with its codes, the codes a correction offers."""

from cases.models import Case
from regulatory.models import CaseCoding, Code


def coding_of(case: Case) -> CaseCoding | None:
    return (
        CaseCoding.objects.select_related("code_set", "a", "b", "c", "corrected_by")
        .filter(case=case, code_set__isnull=False)  # a row without codes yet: none to show
        .first()
    )


def codes_by_axis(code_set_id: int) -> dict[str, list[Code]]:
    """Every code of a set, by axis, in code order (the correction form's choices)."""
    codes: dict[str, list[Code]] = {"A": [], "B": [], "C": []}
    for code in Code.objects.filter(code_set_id=code_set_id).order_by("code"):
        codes[code.axis].append(code)
    return codes
