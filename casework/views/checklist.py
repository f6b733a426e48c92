"""The diagnosis checklist of `credit_limit_unusable` cases (cases.triage.CHECKLISTS): the panel of
the workspace. Setting the sub-cause and ticking items are services of `risk.triage`."""

from dataclasses import dataclass

from cases import policy
from cases.choices import SubCause
from cases.triage import CHECKLISTS, evidence_text, suggest_sub_cause
from casework.forms import SubCauseForm
from risk.triage import checklist_state


def ticked_items(case) -> set[int]:
    """The indexes of the ticked items of the checklist the case follows now."""
    return {item for item, done in checklist_state(case).items() if done}


@dataclass
class ChecklistItem:
    index: int
    text: str
    done: bool


@dataclass
class CreditPanel:
    snapshot: object
    sub_cause: str
    sub_cause_label: str
    is_suggestion: bool
    evidence: list[str]
    items: list[ChecklistItem]
    editable: bool
    form: object = None


def credit_panel(case, *, editable: bool, form=None) -> CreditPanel | None:
    """`editable`: the user may triage the case now (`cases.policy.may_triage`)."""
    snapshot = getattr(case, "credit_account", None)
    if snapshot is None and not policy.has_sub_cause(case):
        return None
    suggestion = suggest_sub_cause(snapshot)
    code = (
        case.sub_cause or case.suggested_sub_cause or (suggestion.sub_cause if suggestion else "")
    )
    ticked = ticked_items(case) if code else set()
    items = [
        ChecklistItem(index=i, text=str(text), done=i in ticked)
        for i, text in enumerate(CHECKLISTS.get(code, []))
    ]
    return CreditPanel(
        snapshot=snapshot,
        sub_cause=code,
        sub_cause_label=str(SubCause(code).label) if code else "",
        is_suggestion=not case.sub_cause,
        evidence=[evidence_text(e) for e in suggestion.evidence] if suggestion else [],
        items=items,
        editable=editable,
        form=(form or SubCauseForm(initial={"sub_cause": code})) if editable else None,
    )
