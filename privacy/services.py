"""Writes of the privacy app: a reveal (the full value, with an access record and an audit entry)
and the log of an export."""

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from backoffice.audit.services import audit_record
from backoffice.errors import Forbidden, Invalid
from cases.phones import phone_or_none
from privacy import policy
from privacy.masking import mask_value
from privacy.models import AccessRecord, ExportRecord, PersonalField, Purpose

MAX_NOTE = 500
CONTROL_PARAMS = ("format", "full", "cursor")


def logged_params(query) -> dict:
    """The filter of an export as its log keeps it: a phone number or e-mail address searched
    for is masked there too."""
    params = {}
    for name in sorted(query):
        if name in CONTROL_PARAMS:
            continue
        values = query.getlist(name)
        if name == "q":
            values = [_masked_term(v) for v in values]
        params[name] = values if len(values) != 1 else values[0]
    return params


def _masked_term(term: str) -> str:
    if "@" in term:
        return mask_value("email", term)
    phone = phone_or_none(term)
    return mask_value("phone", phone) if phone else term


@dataclass(frozen=True)
class Revealed:
    value: str
    record: AccessRecord


def _check_purpose(purpose: str, note: str) -> None:
    if purpose not in Purpose.values:
        raise Invalid({"purpose": _("Choose one of the purposes offered.")})
    if len(note) > MAX_NOTE:
        raise Invalid({"note": _("At most 500 characters.")})
    if purpose == Purpose.OTHER and not note.strip():
        raise Invalid({"note": _("Say why you need it.")})


def reveal(
    *,
    actor,
    customer,
    field: str,
    purpose: str,
    note: str = "",
    case=None,
    ip: str | None = None,
) -> Revealed:
    """The full value of one personal field of one customer, for a role the policy allows, with
    its purpose. Writes an access record and an audit entry (which never holds the value)."""
    if field not in PersonalField.values:
        raise Invalid({"field": _("Not a personal field.")})
    note = (note or "").strip()
    _check_purpose(purpose, note)
    problem = policy.case_problem(actor, customer=customer, field=field, case=case)
    if problem:
        raise Invalid({"case": problem})
    refusal = policy.reveal_refusal(actor, customer=customer, field=field, case=case)
    if refusal:
        raise Forbidden(refusal, code="reveal_refused")
    with transaction.atomic():
        record = AccessRecord.objects.create(
            who=actor,
            customer=customer,
            field=field,
            purpose=purpose,
            note=note,
            case=case,
            ip=ip or None,
        )
        audit_record(
            actor=actor,
            action="privacy.reveal",
            object_type="cases.customer",
            object_id=customer.external_id,
            payload={
                "field": field,
                "purpose": purpose,
                "case": case.reference if case is not None else None,
                "access_record": record.pk,
            },
        )
    return Revealed(value=getattr(customer, field) or "", record=record)


def export_log(
    *, actor, what: str, params: dict, row_count: int, full: bool, format: str
) -> ExportRecord:
    """Log one export; a full (unmasked) one is audited too. Refuses `full` to a role that may
    not export in full."""
    if full and not policy.may_export_full(actor):
        raise Forbidden(_("Your role may not export personal data in full."), code="export_full")
    with transaction.atomic():
        record = ExportRecord.objects.create(
            who=actor, what=what, params=params, row_count=row_count, full=full, format=format
        )
        if full:
            audit_record(
                actor=actor,
                action="privacy.export_full",
                target=record,
                payload={"what": what, "params": params, "rows": row_count, "format": format},
            )
    return record
