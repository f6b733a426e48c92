"""Reads of the classification: a case's coding with its codes, the codes a correction offers."""

from backoffice.cache import cached
from cases.models import Case
from regulatory.models import CaseCoding, Code


def coding_of(case: Case) -> CaseCoding | None:
    return (
        CaseCoding.objects.select_related("code_set", "a", "b", "c", "corrected_by")
        .filter(case=case, code_set__isnull=False)  # a row without codes yet: none to show
        .first()
    )


# What the workspace's panel shows of a coding (not the regulator's facts the row also keeps, nor
# the corrector's whole user row).
PANEL_COLUMNS = (
    "case",
    "code_set",
    "a",
    "b",
    "c",
    "source",
    "corrected_by",
    "corrected_at",
    "reason",
    "code_set__name",
    "code_set__version",
    *(f"{axis}__{name}" for axis in "abc" for name in ("code", "name")),
    "corrected_by__username",
)


def coding_shown(case: Case) -> CaseCoding | None:
    """`coding_of` with only what the workspace's panel shows."""
    return (
        CaseCoding.objects.select_related("code_set", "a", "b", "c", "corrected_by")
        .filter(case=case, code_set__isnull=False)
        .only(*PANEL_COLUMNS)
        .first()
    )


def codes_by_axis(code_set_id: int) -> dict[str, list[Code]]:
    """Every code of a set, by axis, in code order (the correction form's choices): configuration,
    kept like the rest (`backoffice.cache`, cleared on edits of the code tables)."""
    codes = cached(f"regulatory.codes_by_axis.{code_set_id}", lambda: _codes_by_axis(code_set_id))
    return {axis: list(rows) for axis, rows in codes.items()}


def _codes_by_axis(code_set_id: int) -> dict[str, list[Code]]:
    codes: dict[str, list[Code]] = {"A": [], "B": [], "C": []}
    for code in Code.objects.filter(code_set_id=code_set_id).order_by("code"):
        codes[code.axis].append(code)
    return codes
