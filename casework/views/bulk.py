"""The case lists' bulk actions: the form's choices, the service's outcomes as a summary of what
was done and what was refused and why, per case."""

from django.contrib import messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from backoffice.errors import DomainError, Invalid, NotFound
from cases import permissions
from cases.choices import IncidentStatus, Priority
from cases.models import Incident
from casework.forms import BulkForm
from casework.services.bulk import Resolution, cases_bulk
from casework.views.base import error_text, field_errors
from macros.models import Macro
from macros.selectors import macros_for_bulk

DONE_TEXT = {  # translated when shown, in the language of the request
    "claim": gettext_noop("%(ref)s: claimed."),
    "assign": gettext_noop("%(ref)s: assigned to %(user)s."),
    "priority": gettext_noop("%(ref)s: priority set to %(priority)s."),
    "incident": gettext_noop("%(ref)s: linked to incident %(incident)s."),
    "resolve": gettext_noop("%(ref)s: resolved."),
    "close": gettext_noop("%(ref)s: closed."),
    "macro": gettext_noop("%(ref)s: macro “%(macro)s” applied."),
}


def bulk_choices(user, assignees: list[str]) -> dict:
    """What the bulk bar offers this user (the service still decides per case)."""
    supervises = permissions.assigns_to_others(user)
    incidents = []
    if permissions.can_manage_incidents(user):
        incidents = list(
            Incident.objects.filter(status=IncidentStatus.OPEN)
            .order_by("-started_at", "-id")
            .values_list("code", "title")[:50]
        )
    return {
        "bulk_priorities": Priority.choices if supervises else [],
        "bulk_incidents": incidents,
        "bulk_resolve_form": BulkForm() if permissions.is_case_worker(user) else None,
        "bulk_macros": list(macros_for_bulk(user)) if permissions.is_case_worker(user) else [],
    }


def refusal_text(exc: DomainError, reference: str) -> str:
    if isinstance(exc, NotFound):
        return _("%(ref)s: no such case.") % {"ref": reference}
    if isinstance(exc, Invalid):
        reason = " ".join(str(m) for msgs in field_errors(exc).values() for m in msgs)
    else:
        reason = error_text(exc)
    return _("%(ref)s: %(reason)s") % {"ref": reference, "reason": reason}


def _options(form: BulkForm) -> dict:
    data, action = form.cleaned_data, form.cleaned_data["action"]
    if action == "assign":
        return {"assignee": data["assignee"]}
    if action == "priority":
        return {"priority": data["priority"]}
    if action == "incident":
        return {"incident": Incident.objects.filter(code=data["incident"]).first()}
    if action == "macro":
        return {"macro": Macro.objects.filter(pk=data["macro"], active=True).first()}
    if action == "resolve":
        return {"resolution": Resolution(root_cause=data["root_cause"], reply=data["reply"])}
    return {}


def run_bulk(request, form: BulkForm) -> None:
    """Each case on its own (`services.cases_bulk`); a summary first, then one line per case."""
    action = form.cleaned_data["action"]
    try:
        outcomes = cases_bulk(
            actor=request.user, references=form.references, action=action, **_options(form)
        )
    except Invalid as exc:
        for errors in field_errors(exc).values():
            for error in errors:
                messages.error(request, error)
        return
    except DomainError as exc:
        messages.error(request, error_text(exc))
        return
    done = sum(o.done for o in outcomes)
    refused = len(outcomes) - done
    summary = ngettext("%(done)d case done", "%(done)d cases done", done) % {"done": done}
    if refused:
        summary += _("; %(refused)d refused:") % {"refused": refused}
    (messages.warning if refused else messages.success)(request, summary)
    values = {
        "user": form.cleaned_data.get("assignee"),
        "priority": dict(Priority.choices).get(form.cleaned_data.get("priority"), ""),
        "incident": form.cleaned_data.get("incident"),
        "macro": getattr(_options(form).get("macro"), "name", ""),
    }
    for outcome in outcomes:
        if outcome.done:
            text = _(DONE_TEXT[action]) % {"ref": outcome.reference, **values}
            messages.success(request, text)
        else:
            messages.error(request, refusal_text(outcome.error, outcome.reference))
