"""Triage of `credit_limit_unusable` cases by the agent: setting the sub-cause and ticking its
diagnosis checklist (`cases.triage.CHECKLISTS`), each an event on the case's timeline.

The suggestion itself is made at intake (`cases.triage.suggest_sub_cause`); the checklist shown is
the one of the sub-cause set by the agent, or else of the suggested one.
"""

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from backoffice.errors import Conflict, Invalid
from cases import permissions, policy
from cases.choices import EventType, SubCause, not_one_of
from cases.events import audit_case, record_event
from cases.models import Case, CaseEvent
from cases.triage import CHECKLISTS


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update(no_key=True).get(pk=case.pk)


def _require_open_credit_case(case: Case) -> None:
    policy.ensure_has_sub_cause(case)
    policy.ensure_open(case)


def checklist_sub_cause(case: Case) -> str:
    """The sub-cause whose checklist the case follows: the one set, or else the suggestion."""
    return case.sub_cause or case.suggested_sub_cause


def checklist_state(case: Case) -> dict[int, bool]:
    """Item index → done, for the checklist the case follows now (the latest tick of each wins)."""
    sub_cause = checklist_sub_cause(case)
    state: dict[int, bool] = {}
    ticks = CaseEvent.objects.filter(
        case=case, type=EventType.CHECKLIST_TICKED, payload__sub_cause=sub_cause
    ).order_by("created_at", "id")
    for payload in ticks.values_list("payload", flat=True):
        state[payload["item"]] = payload["done"]
    return state


@transaction.atomic
def case_set_sub_cause(*, actor, case: Case, sub_cause: str) -> Case:
    """The agent working the case decides the sub-cause (it may differ from the suggestion)."""
    case = _locked(case)
    permissions.require(
        permissions.can_work_case(actor, case),
        _("Only agents of this queue can set the sub-cause."),
    )
    if sub_cause not in SubCause.values:
        raise Invalid({"sub_cause": [not_one_of(sub_cause, SubCause)]})
    _require_open_credit_case(case)
    if case.sub_cause == sub_cause:
        return case
    payload = {
        "from": case.sub_cause or None,
        "to": sub_cause,
        "suggested": case.suggested_sub_cause or None,
    }
    case.sub_cause = sub_cause
    case.save(update_fields=["sub_cause", "updated_at"])
    record_event(case=case, type=EventType.SUB_CAUSE_SET, actor=actor, payload=payload)
    audit_case(actor=actor, action="case.sub_cause", case=case, payload=payload)
    return case


@transaction.atomic
def case_checklist_tick(*, actor, case: Case, item: int, done: bool) -> Case:
    """Tick (or untick) item `item` (0-based) of the checklist the case follows."""
    case = _locked(case)
    permissions.require(
        permissions.can_work_case(actor, case),
        _("Only agents of this queue can work the checklist."),
    )
    _require_open_credit_case(case)
    sub_cause = checklist_sub_cause(case)
    if not sub_cause:
        raise Conflict(
            _("Case %(reference)s has no sub-cause yet: set one to get its checklist.")
            % {"reference": case.reference},
            code="no_checklist",
        )
    items = CHECKLISTS[sub_cause]
    if isinstance(item, bool) or not isinstance(item, int) or not 0 <= item < len(items):
        raise Invalid(
            {
                "item": [
                    _("Give an item number from 0 to %(last)d of the list for “%(sub_cause)s”.")
                    % {"last": len(items) - 1, "sub_cause": SubCause(sub_cause).label}
                ]
            }
        )
    done = bool(done)
    if checklist_state(case).get(item, False) == done:
        return case
    with translation.override("en"):
        text = str(items[item])
    payload = {"sub_cause": sub_cause, "item": item, "text": text, "done": done}
    record_event(case=case, type=EventType.CHECKLIST_TICKED, actor=actor, payload=payload)
    audit_case(actor=actor, action="case.checklist", case=case, payload=payload)
    return case
