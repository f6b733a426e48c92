"""Timeline events: every state change of a case writes one, in the same transaction."""

from backoffice.audit.services import audit_record
from cases.models import Case, CaseEvent


def record_event(*, case: Case, type: str, actor=None, payload: dict | None = None) -> CaseEvent:
    user = actor if getattr(actor, "is_authenticated", False) else None
    return CaseEvent.objects.create(case=case, type=type, actor=user, payload=payload or {})


def audit_case(*, actor, action: str, case: Case, payload: dict | None = None) -> None:
    """The audit row of a case change; called last in a service (see backoffice.audit)."""
    audit_record(
        actor=actor,
        action=action,
        object_type="cases.case",
        object_id=case.reference,
        payload=payload,
    )
