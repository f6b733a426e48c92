"""Reads of the classification: a case's coding with its codes, the codes a correction offers."""

from django.db import connection

from backoffice.cache import cached
from backoffice.db import json_rows
from cases.models import Case
from regulatory.models import CaseCoding, Code


def coding_of(case: Case) -> CaseCoding | None:
    return (
        CaseCoding.objects.select_related("code_set", "a", "b", "c", "corrected_by")
        .filter(case=case, code_set__isnull=False)  # a row without codes yet: none to show
        .first()
    )


# The rows a coding shows with it: its code set, its three codes and who corrected it.
CODING_NESTED = ("code_set", "a", "b", "c", "corrected_by")


def workspace_facts() -> dict:
    """The case's coding with its codes, read with the case by the workspace
    (`settings.CASE_WORKSPACE_FACTS`; PostgreSQL): its panel reads nothing more."""
    if connection.vendor != "postgresql":
        return {}
    return {
        "regulatory_coding": json_rows.rows_subquery(
            CaseCoding,
            owner=Case,
            by="case",
            not_null=("code_set",),
            nested=CODING_NESTED,
            many=False,
        )
    }


def coding_shown(case: Case) -> CaseCoding | None:
    """`coding_of` as the workspace's panel shows it: from the case's statement when it brought
    it along (`workspace_facts`)."""
    if hasattr(case, "regulatory_coding"):
        values = case.regulatory_coding
        return json_rows.loaded(CaseCoding, values, nested=CODING_NESTED) if values else None
    return coding_of(case)


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
