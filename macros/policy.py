"""Whether a user may apply a macro to a case now, and why not: the service enforces it, the
workspace and the API ask it before offering the action (a screen never restates a guard)."""

from django.utils.translation import gettext as _

from cases import permissions, policy
from cases.choices import Status
from cases.transitions import allowed
from macros.models import Macro
from macros.rendering import missing_values
from macros.selectors import applies_to


def status_after_reply(case) -> str:
    """A public reply takes a new case into work (`case_reply`); the macro's status starts there."""
    return Status.IN_PROGRESS if case.status == Status.NEW else case.status


def changes(case, macro: Macro) -> dict[str, str]:
    """What the macro would change on the case besides replying: {"status"|"priority": new}."""
    found = {}
    if macro.set_status and macro.set_status != status_after_reply(case):
        found["status"] = macro.set_status
    if macro.set_priority and macro.set_priority != case.priority:
        found["priority"] = macro.set_priority
    return found


def refusal(user, case, macro: Macro, values: dict[str, str]) -> tuple[str, str] | None:
    """(code, message) saying why `user` may not apply `macro` to `case` now, or None. The codes
    are the macro's own, so the screens show these messages rather than a general one.

    `values`: the macro's variables for this case (`macros.values.values_for`)."""
    if not permissions.can_work_case(user, case):
        return "permission_denied", _("You may not work on this case.")
    if not applies_to(macro, case):
        return "macro_not_available", _("This macro is not available for this case.")
    if not policy.accepts_replies(case):
        return "case_closed", _("Case %(ref)s no longer takes replies.") % {"ref": case.reference}
    text = macro.text_for(case.customer.language)
    missing = missing_values(text, values)
    if missing:
        return "macro_value_missing", _(
            "This case has no value for %(names)s, which the macro's text uses."
        ) % {"names": ", ".join(f"{{{name}}}" for name in missing)}
    wanted = changes(case, macro)
    if "priority" in wanted and not permissions.can_supervise_case(user, case):
        return "macro_priority_not_allowed", _(
            "The macro changes the priority, which only a supervisor of this queue may do."
        )
    if "status" in wanted:
        to, current = wanted["status"], status_after_reply(case)
        if not allowed(current, to):
            return "macro_status_not_allowed", _(
                "The macro sets the status “%(to)s”, which this case cannot take from “%(now)s”."
            ) % {"to": Status(to).label, "now": Status(current).label}
        if not policy.may_transition(user, case, to):
            return "macro_status_not_permitted", _("You may not set this case to “%(to)s”.") % {
                "to": Status(to).label
            }
    return None
