"""Mass incidents: link many cases to one outage, resolve them all at once."""

from datetime import datetime
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.audit.services import audit_record
from backoffice.domain_events import publish
from backoffice.errors import Conflict, Forbidden, Invalid
from cases import permissions, policy
from cases.choices import (
    OPEN_STATUSES,
    EventType,
    IncidentStatus,
    RootCause,
    Status,
    not_one_of,
)
from cases.domain_events import CaseResolved
from cases.events import record_event
from cases.models import Case, Incident


def _require_supervisor(actor) -> None:
    permissions.require(
        permissions.can_manage_incidents(actor),
        _("Only supervisors and managers manage incidents."),
    )


@transaction.atomic
def incident_open(
    *, actor, code: str, title: str, description: str = "", started_at: datetime | None = None
) -> Incident:
    _require_supervisor(actor)
    if Incident.objects.filter(code=code).exists():
        raise Invalid({"code": [_("An incident “%(code)s” exists already.") % {"code": code}]})
    incident = Incident.objects.create(
        code=code,
        title=title,
        description=description,
        started_at=started_at or timezone.now(),
        created_by=actor,
    )
    audit_record(actor=actor, action="incident.open", target=incident, payload={"code": code})
    return incident


def incident_locked_open(incident: Incident) -> Incident:
    """The incident read again under a row lock (to the transaction's end), refused when it is
    resolved: before cases are linked to it."""
    incident = Incident.objects.select_for_update(no_key=True).get(pk=incident.pk)
    if not policy.incident_is_open(incident):
        raise Conflict(
            _("Incident %(code)s is resolved.") % {"code": incident.code},
            code="incident_resolved",
        )
    return incident


@transaction.atomic
def incident_link(*, actor, incident: Incident, cases: list[Case]) -> int:
    """Link open cases to the incident; returns how many were newly linked.

    All or nothing: every case must be one the actor may resolve one by one
    (`permissions.can_act_through_incident`), open, and in no other incident; otherwise nothing is
    linked and the refusal names the cases (the actor named them)."""
    _require_supervisor(actor)
    incident = incident_locked_open(incident)
    locked = list(
        Case.objects.select_for_update(no_key=True)
        .select_related("queue")
        .filter(pk__in=[c.pk for c in cases])
        .order_by("pk")
    )
    outside = [c.reference for c in locked if not permissions.can_act_through_incident(actor, c)]
    if outside:
        raise Forbidden(
            _("Outside your queues: %(cases)s. Nothing was linked.")
            % {"cases": ", ".join(outside)},
            code="incident_case_out_of_scope",
        )
    for case in locked:
        if case.incident_id not in (None, incident.pk):
            raise Conflict(
                _("Case %(reference)s belongs to another incident.")
                % {"reference": case.reference},
                code="case_in_other_incident",
            )
        policy.ensure_open(case)
    linked = 0
    for case in locked:
        if case.incident_id == incident.pk:
            continue
        case.incident = incident
        case.save(update_fields=["incident", "updated_at"])
        record_event(
            case=case,
            type=EventType.INCIDENT_LINKED,
            actor=actor,
            payload={"incident": incident.code},
        )
        linked += 1
    audit_record(
        actor=actor,
        action="incident.link",
        target=incident,
        payload={"linked": linked, "cases": [c.reference for c in locked]},
    )
    return linked


class Resolved(NamedTuple):
    """What resolving an incident did: the cases resolved, the open ones left to others."""

    resolved: int
    left_open: int
    incident_resolved: bool


@transaction.atomic
def incident_resolve(*, actor, incident: Incident, root_cause: str, note: str = "") -> Resolved:
    """Resolve every open linked case the actor may resolve one by one, each with its own event;
    the incident itself is resolved once none of its cases is open.

    A linked case outside the actor's scope (`permissions.can_act_through_incident`) is left
    alone: no write, no event, no message to its customer; it is counted in `left_open` and the
    incident stays open for the supervisors of its queue. An actor who may resolve none of the
    open cases is refused (403) and nothing changes."""
    _require_supervisor(actor)
    if root_cause not in RootCause.values:
        raise Invalid({"root_cause": [not_one_of(root_cause, RootCause)]})
    incident = Incident.objects.select_for_update(no_key=True).get(pk=incident.pk)
    if not policy.incident_is_open(incident):
        raise Conflict(
            _("Incident %(code)s is resolved already.") % {"code": incident.code},
            code="incident_resolved",
        )
    linked = list(
        Case.objects.select_for_update(no_key=True)
        .select_related("queue")
        .filter(incident=incident, status__in=OPEN_STATUSES)
        .order_by("pk")
    )
    mine, left = [], []
    for case in linked:
        (mine if permissions.can_act_through_incident(actor, case) else left).append(case)
    if left and not mine:
        raise Forbidden(
            _("None of the open cases of incident %(code)s is in your queues.")
            % {"code": incident.code},
            code="incident_cases_out_of_scope",
        )
    now = timezone.now()
    for case in mine:
        _resolve_case(
            case=case, actor=actor, incident=incident, root_cause=root_cause, note=note, at=now
        )
    if not left:
        incident.status, incident.root_cause, incident.resolved_at = (
            IncidentStatus.RESOLVED,
            root_cause,
            now,
        )
        incident.save()
    audit_record(
        actor=actor,
        action="incident.resolve",
        target=incident,
        payload={
            "resolved_cases": len(mine),
            "left_open": [c.reference for c in left],
            "root_cause": root_cause,
            "incident_resolved": not left,
        },
    )
    return Resolved(resolved=len(mine), left_open=len(left), incident_resolved=not left)


def _resolve_case(
    *, case: Case, actor, incident: Incident, root_cause: str, note: str, at: datetime
) -> None:
    """One linked case resolved at the incident's moment `at` (the same for all its cases)."""
    previous = case.status
    case.status, case.root_cause, case.resolved_at = Status.RESOLVED, root_cause, at
    case.resolution = note or incident.title
    case.save()
    record_event(
        case=case,
        type=EventType.STATUS_CHANGED,
        actor=actor,
        payload={
            "from": previous,
            "to": Status.RESOLVED,
            "root_cause": root_cause,
            "incident": incident.code,
        },
    )
    publish(CaseResolved(case=case, previous=previous, at=at, actor=actor))
