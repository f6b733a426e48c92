"""Mass incidents: link many cases to one outage, resolve them all at once."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from backoffice.audit.services import audit_record
from backoffice.errors import Conflict, Invalid
from backoffice.roles import Role, has_role
from cases import permissions
from cases.choices import OPEN_STATUSES, EventType, IncidentStatus, RootCause, Status
from cases.events import record_event
from cases.models import Case, Incident
from cases.notifications.services import notify_case_resolved
from cases.sla.services import clocks_on_status


def _require_supervisor(actor) -> None:
    permissions.require(
        has_role(actor, Role.SUPERVISOR, Role.MANAGER),
        "Only supervisors and managers manage incidents.",
    )


@transaction.atomic
def incident_open(
    *, actor, code: str, title: str, description: str = "", started_at: datetime | None = None
) -> Incident:
    _require_supervisor(actor)
    if Incident.objects.filter(code=code).exists():
        raise Invalid({"code": [f"An incident “{code}” exists already."]})
    incident = Incident.objects.create(
        code=code,
        title=title,
        description=description,
        started_at=started_at or timezone.now(),
        created_by=actor,
    )
    audit_record(actor=actor, action="incident.open", target=incident, payload={"code": code})
    return incident


@transaction.atomic
def incident_link(*, actor, incident: Incident, cases: list[Case]) -> int:
    """Link open cases to the incident; returns how many were newly linked."""
    _require_supervisor(actor)
    incident = Incident.objects.select_for_update(no_key=True).get(pk=incident.pk)
    if incident.status != IncidentStatus.OPEN:
        raise Conflict(f"Incident {incident.code} is resolved.", code="incident_resolved")
    linked = 0
    for case in (
        Case.objects.select_for_update(no_key=True)
        .filter(pk__in=[c.pk for c in cases])
        .order_by("pk")
    ):
        if case.incident_id == incident.pk:
            continue
        if case.status not in OPEN_STATUSES:
            raise Conflict(f"Case {case.reference} is {case.status}.", code="case_not_open")
        case.incident = incident
        case.save(update_fields=["incident", "updated_at"])
        record_event(
            case=case,
            type=EventType.INCIDENT_LINKED,
            actor=actor,
            payload={"incident": incident.code},
        )
        linked += 1
    audit_record(actor=actor, action="incident.link", target=incident, payload={"linked": linked})
    return linked


@transaction.atomic
def incident_resolve(*, actor, incident: Incident, root_cause: str, note: str = "") -> int:
    """Resolve the incident and every open case linked to it, each with its own event."""
    _require_supervisor(actor)
    if root_cause not in RootCause.values:
        raise Invalid(
            {"root_cause": [f"“{root_cause}” is not one of {', '.join(RootCause.values)}."]}
        )
    incident = Incident.objects.select_for_update(no_key=True).get(pk=incident.pk)
    if incident.status != IncidentStatus.OPEN:
        raise Conflict(f"Incident {incident.code} is resolved already.", code="incident_resolved")
    now = timezone.now()
    resolved = 0
    cases = Case.objects.select_for_update(no_key=True).filter(
        incident=incident, status__in=OPEN_STATUSES
    )
    for case in cases.order_by("pk"):
        previous = case.status
        case.status, case.root_cause, case.resolved_at = Status.RESOLVED, root_cause, now
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
        clocks_on_status(case=case, previous=previous, at=now, actor=actor)
        notify_case_resolved(case, actor)
        resolved += 1
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
        payload={"resolved_cases": resolved, "root_cause": root_cause},
    )
    return resolved
