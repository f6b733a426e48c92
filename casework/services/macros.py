"""Applying a macro: the reply, then the priority and the status it sets, in one transaction.

Each part goes through its own service (so each writes its own timeline event, audit row and
domain event, and enforces its own rules); `macros.policy.refusal` is asked first so a macro that
cannot be applied whole is refused whole, with a message that says why, before anything is written.
Anything a part refuses after that still rolls the whole action back (one transaction)."""

from typing import NamedTuple

from django.db import transaction
from django.utils.translation import gettext as _

from backoffice.errors import Conflict, Forbidden, Invalid
from cases.events import audit_case
from cases.models import Case, Message
from casework.services.conversation import case_reply
from casework.services.workflow import case_set_priority, case_transition
from macros import policy
from macros.models import Macro
from macros.rendering import fill
from macros.values import values_for

# How each refusal is raised: None for an input error on the field `macro`; the rest are 409.
_REFUSALS = {
    "permission_denied": Forbidden,
    "macro_priority_not_allowed": Forbidden,
    "macro_status_not_permitted": Forbidden,
    "macro_not_available": None,
    "macro_value_missing": None,
}


class Applied(NamedTuple):
    case: Case
    message: Message
    changed: dict


def macro_preview(*, actor, case: Case, macro: Macro) -> tuple[str, dict, tuple | None]:
    """(the text as the customer would read it, the changes, the refusal or None). Writes nothing."""
    values = values_for(case, case.customer.language)
    text = fill(macro.text_for(case.customer.language), values)
    return text, policy.changes(case, macro), policy.refusal(actor, case, macro, values)


def _raise(refused: tuple[str, str]) -> None:
    code, message = refused
    if code in _REFUSALS:
        error = _REFUSALS[code]
        if error is None:
            raise Invalid({"macro": [message]}, code=code)
        raise error(message, code=code)
    raise Conflict(message, code=code)


@transaction.atomic
def apply_macro(*, actor, case: Case, macro: Macro) -> Applied:
    """Send the macro's text (filled for this case, in the customer's language) as a public reply
    and apply its priority and status; all or nothing."""
    case = Case.objects.select_for_update(no_key=True).select_related("customer").get(pk=case.pk)
    macro = Macro.objects.get(pk=macro.pk)  # as saved now, not as the caller read it
    text, wanted, refused = macro_preview(actor=actor, case=case, macro=macro)
    if refused:
        _raise(refused)
    message = case_reply(actor=actor, case=case, body=text)
    if "priority" in wanted:
        case = case_set_priority(
            actor=actor,
            case=case,
            priority=wanted["priority"],
            reason=_("Macro: %(name)s") % {"name": macro.name},
        )
    if "status" in wanted:
        case = case_transition(
            actor=actor,
            case=case,
            to=wanted["status"],
            root_cause=macro.set_root_cause,
            note=_("Macro: %(name)s") % {"name": macro.name},
        )
    audit_case(
        actor=actor,
        action="case.macro",
        case=case,
        payload={"macro_id": macro.pk, "message_id": message.pk, "changed": wanted},
    )
    case.refresh_from_db()
    return Applied(case=case, message=message, changed=wanted)
