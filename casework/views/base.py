"""What every staff screen shares: who may open it, htmx-or-not responses, domain errors as
messages or field errors (never a 500)."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from backoffice.errors import DomainError, Invalid
from backoffice.roles import CASE_WORKERS, has_role

# Conflicts and refusals the screens explain in the user's language (by the service's error code);
# anything else shows the service's own message.
ERROR_TEXT = {
    "already_assigned": gettext_noop("Someone else claimed this case first."),
    "case_not_open": gettext_noop("The case is no longer open."),
    "case_closed": gettext_noop("The case is closed."),
    "transition_not_allowed": gettext_noop("This status change is not allowed from here."),
    "no_regulatory_clock": gettext_noop("The case has no running regulatory deadline."),
    "no_more_extensions": gettext_noop("The regulatory deadline cannot be extended further."),
    "incident_resolved": gettext_noop("The incident is resolved already."),
    "incident_case_out_of_scope": gettext_noop(
        "Some of these cases are outside your queues; nothing was linked."
    ),
    "incident_cases_out_of_scope": gettext_noop(
        "None of the incident's open cases is in your queues; nothing was resolved."
    ),
    "case_in_other_incident": gettext_noop("The case belongs to another incident."),
    "reopen_window_passed": gettext_noop(
        "The case was resolved too long ago to reopen; open a new case."
    ),
    "contact_change_stale": gettext_noop(
        "The customer's contact changed since; this change no longer applies."
    ),
    "cannot_approve_own_refund": gettext_noop("You cannot decide on a refund you asked for."),
    "approval_limit": gettext_noop("The cumulative amount is above your approval limit."),
    "already_decided": gettext_noop("This refund has been decided already."),
    "payload_changed": gettext_noop("The refund changed since it was requested."),
    "permission_denied": gettext_noop("You may not do this."),
    "not_found": gettext_noop("Not found."),
}

# Fixed field messages of the services, so they show in the user's language too.
FIELD_TEXT = [
    gettext_noop("Write something."),
    gettext_noop("A root cause is required to resolve a case."),
    gettext_noop("Say why the deadline is extended; the customer is told."),
    gettext_noop("Say why the customer is refunded."),
    gettext_noop("Say why the refund is rejected."),
    gettext_noop("The amount must be more than 0.00."),
    gettext_noop("At most two decimal places."),
    gettext_noop("A case cannot be merged into itself."),
    gettext_noop("Give an amount like 50.00."),
]


def error_text(exc: DomainError) -> str:
    if exc.code in ERROR_TEXT:
        return _(ERROR_TEXT[exc.code])
    return _(exc.message)


def field_errors(exc: Invalid) -> dict[str, list[str]]:
    """The service's field errors, each message translated when it is one of the fixed ones."""
    result = {}
    for field, errors in exc.errors.items():
        values = errors if isinstance(errors, list) else [errors]
        result[field] = [_(str(e)) for e in values]
    return result


def apply_invalid(form, exc: Invalid) -> None:
    """Put a service's field errors next to the form's fields (the rest above the form)."""
    for field, errors in field_errors(exc).items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


def report(request, exc: DomainError) -> None:
    messages.error(request, error_text(exc))


class StaffRequiredMixin(LoginRequiredMixin):
    """Signed-in staff of the given roles (superusers always); anonymous users go to the login
    page, other roles get 403."""

    roles = tuple(CASE_WORKERS)

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not self.allowed(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def allowed(self, user) -> bool:
        return has_role(user, *self.roles)


def is_partial(request) -> bool:
    """An htmx request that wants a fragment (a history restore wants the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request
