"""Bulk actions on the ticked cases of a list: claim, assign, change priority, link to an
incident, resolve with a reply, close resolved cases, apply a macro.

Each case goes through the same service as one by one, in its own transaction: a case refused
(outside the actor's queues, closed, claimed by someone else, a role that may not) is reported
with the reason and changes nothing; the others go ahead. Cases the actor may not see are
reported as not found, never revealed.

Resolving takes a `Resolution`: the reply sent to each customer and the root cause. Applying a
macro (`macro`) goes through `apply_macro` for each case: its text filled for that case, in that
customer's language, with the status, root cause and priority the macro sets; a macro not meant
for a case's queue or category, or a status that case may not take, refuses that case only."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from backoffice.errors import Conflict, DomainError, Invalid, NotFound
from cases import policy
from cases.choices import Status
from cases.models import Case, Incident
from casework import selectors
from casework.services.conversation import case_reply
from casework.services.incidents import incident_link
from casework.services.macros import apply_macro
from casework.services.workflow import (
    case_assign,
    case_claim,
    case_set_priority,
    case_transition,
)
from macros.models import Macro

ACTIONS = ("claim", "assign", "priority", "incident", "resolve", "close", "macro")


@dataclass(frozen=True)
class Resolution:
    """What resolving each case says and records. `reply`: the public reply (empty: none, the
    customer gets the neutral resolution notice); `render`: a macro's filling of `reply` for one
    case (its variables), by default the text as it is."""

    root_cause: str
    reply: str = ""
    note: str = ""
    render: Callable[[str, Case], str] | None = field(default=None, compare=False)

    def reply_for(self, case: Case) -> str:
        return self.render(self.reply, case) if self.render else self.reply


@dataclass(frozen=True)
class Outcome:
    """One case's result: `done`, or the refusal (`error`, its code and message)."""

    reference: str
    done: bool
    error: DomainError | None = None


def _assign(actor, case, *, assignee: str | None = None, **_):
    case_assign(actor=actor, case=case, assignee_username=assignee)


def _claim(actor, case, **_):
    case_claim(actor=actor, case=case)


def _priority(actor, case, *, priority: str = "", reason: str = "", **_):
    case_set_priority(actor=actor, case=case, priority=priority, reason=reason)


def _incident(actor, case, *, incident: Incident | None = None, **_):
    incident_link(actor=actor, incident=incident, cases=[case])


@transaction.atomic
def _resolve(actor, case, *, resolution: Resolution | None = None, **_):
    """The reply and the resolution in one transaction: a refused resolution sends no reply."""
    policy.ensure_open(case)
    reply = resolution.reply_for(case).strip()
    if reply:
        case_reply(actor=actor, case=case, body=reply)
    case_transition(
        actor=actor,
        case=case,
        to=Status.RESOLVED,
        root_cause=resolution.root_cause,
        note=resolution.note,
    )


def _close(actor, case, **_):
    """Close a resolved case (the close guards, e.g. the regulatory codes, refuse it per case)."""
    case_transition(actor=actor, case=case, to=Status.CLOSED)


def _macro(actor, case, *, macro: Macro | None = None, **_):
    apply_macro(actor=actor, case=case, macro=macro)


PERFORM = {
    "claim": _claim,
    "assign": _assign,
    "priority": _priority,
    "incident": _incident,
    "resolve": _resolve,
    "close": _close,
    "macro": _macro,
}


def _check(action: str, options: dict) -> None:
    """Refuse the whole request, before any case, for what no case could make right."""
    if action not in ACTIONS:
        raise Invalid({"action": [_("One of: %(actions)s.") % {"actions": ", ".join(ACTIONS)}]})
    if action == "incident":
        incident = options.get("incident")
        if incident is None:
            raise Invalid({"incident": [_("Choose an open incident.")]})
        if not policy.incident_is_open(incident):
            raise Conflict(
                _("Incident %(code)s is resolved.") % {"code": incident.code},
                code="incident_resolved",
            )
    if action == "resolve" and options.get("resolution") is None:
        raise Invalid({"root_cause": [_("A root cause is required to resolve a case.")]})
    if action == "macro":
        macro = options.get("macro")
        if macro is None or not macro.active:
            raise Invalid({"macro": [_("Choose an active macro.")]})


def cases_bulk(*, actor, references: list[str], action: str, **options) -> list[Outcome]:
    """Apply `action` to each referenced case the actor sees, one transaction per case, in the
    order given; one `Outcome` per reference. `options`: `assignee` (assign), `priority` and
    `reason` (priority), `incident` (an `Incident`), `resolution` (a `Resolution`), `macro` (a
    `Macro`)."""
    _check(action, options)
    perform = PERFORM[action]
    visible = selectors.cases_visible_to(actor).select_related("queue")
    found = {c.reference: c for c in visible.filter(reference__in=references)}
    outcomes = []
    for reference in dict.fromkeys(references):
        case = found.get(reference)
        if case is None:
            missing = NotFound(_("No case %(reference)s.") % {"reference": reference})
            outcomes.append(Outcome(reference, False, missing))
            continue
        try:
            perform(actor, case, **options)
        except DomainError as exc:
            outcomes.append(Outcome(reference, False, exc))
            continue
        outcomes.append(Outcome(reference, True))
    return outcomes
