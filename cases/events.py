"""Timeline events: every state change of a case writes one, in the same transaction."""

from contextvars import ContextVar

from backoffice.audit.services import audit_record
from backoffice.holding import holding
from cases.models import Case, CaseEvent

_batch: ContextVar[list[CaseEvent] | None] = ContextVar("case_events_batch", default=None)


def record_event(*, case: Case, type: str, actor=None, payload: dict | None = None) -> CaseEvent:
    """Write one event (or, inside `events_batched`, keep it for that block's one INSERT)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    event = CaseEvent(case=case, type=type, actor=user, payload=payload or {})
    batch = _batch.get()
    if batch is None:
        event.save(force_insert=True)
    else:
        batch.append(event)
    return event


def events_batched():
    """Collect the events the block records and insert them in one statement, in the order they
    were recorded, when it ends without an exception (inside the caller's transaction). Nothing in
    the block may read those events back. Nested blocks join the outer one."""
    return holding(_batch, CaseEvent.objects.bulk_create)


def audit_case(*, actor, action: str, case: Case, payload: dict | None = None) -> None:
    """The audit row of a case change; called last in a service (see backoffice.audit)."""
    audit_record(
        actor=actor,
        action=action,
        object_type="cases.case",
        object_id=case.reference,
        payload=payload,
    )
