"""A customer's identity and contact: what an intake may change, and what waits for an agent.

An intake naming a known customer fills contact fields that are empty, and sets the language. A
different name, phone or e-mail than the one on file is not written over it: it is held as a
`ContactChange` (who asked, when, old → new), shown on each of the customer's open cases, and
applied only when an agent of one of those cases confirms it. Until then every message, on every
case, goes to the contact on file, so an intake cannot redirect a customer's SMS by naming their id
with another number. Each step writes a timeline event on the customer's open cases and an audit
row.
"""

import json

from django.db import transaction
from django.db.models import JSONField, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.audit.services import audit_record
from backoffice.errors import Conflict, NotFound
from cases import permissions, policy
from cases.choices import OPEN_STATUSES, EventType
from cases.events import record_event
from cases.models import Case, ContactChange, ContactChangeStatus, Customer
from cases.phones import mask_phone
from privacy.hashing import personal_refs

CONTACT_FIELDS = ("name", "phone", "email")


def shown(field: str, value: str) -> str:
    """A value as the timeline and the audit show it: phone numbers masked."""
    return mask_phone(value) if field == "phone" else value


def audited_changes(changes: dict) -> dict:
    """A change as the audit chain holds it: keyed hashes, never the values (privacy.hashing)."""
    return personal_refs(changes)


def shown_changes(changes: dict) -> dict:
    return {
        field: {"from": shown(field, c["from"]), "to": shown(field, c["to"])}
        for field, c in changes.items()
    }


def open_cases_of(customer: Customer) -> list[Case]:
    return list(Case.objects.filter(customer=customer, status__in=OPEN_STATUSES).order_by("pk"))


def record_on_open_cases(*, customer, type: str, actor, payload: dict, cases=None) -> None:
    for case in open_cases_of(customer) if cases is None else cases:
        record_event(case=case, type=type, actor=actor, payload=payload)


def _record_contact(
    *, actor, customer: Customer, type: str, action: str, payload: dict, audited: dict
) -> None:
    """A contact change on the customer's open cases' timelines and in the audit chain."""
    record_on_open_cases(customer=customer, type=type, actor=actor, payload=payload)
    audit_record(
        actor=actor,
        action=action,
        object_type="cases.customer",
        object_id=customer.external_id,
        payload=audited,
    )


def latest_pending():
    """Annotations for a customer query: the id and changes of the customer's latest waiting
    change (`hold_contact_change` reads them instead of looking the change up)."""
    latest = ContactChange.objects.filter(
        customer=OuterRef("pk"), status=ContactChangeStatus.PENDING
    ).order_by("-pk")[:1]
    return {
        "latest_pending_id": Subquery(latest.values("pk")),
        "latest_pending_changes": Subquery(latest.values("changes"), output_field=JSONField()),
    }


def hold_contact_change(*, actor, customer: Customer, given: dict) -> ContactChange | None:
    """Hold the differences between `given` and the non-empty contact on file; None when there
    are none. An identical change already waiting is not held twice.

    A customer read with `latest_pending()` needs no lookup when its latest waiting change is the
    identical one (a client repeating the same contact on every complaint): that change is
    returned with its id and changes only (what the intake's event names)."""
    changes = {
        field: {"from": getattr(customer, field), "to": value}
        for field, value in given.items()
        if field in CONTACT_FIELDS
        and value
        and getattr(customer, field)
        and getattr(customer, field) != value
    }
    if not changes:
        return None
    latest = getattr(customer, "latest_pending_changes", None)
    if latest is not None and _same_changes(latest, changes):
        return ContactChange(
            pk=customer.latest_pending_id,
            customer=customer,
            changes=changes,
            status=ContactChangeStatus.PENDING,
        )
    waiting = ContactChange.objects.filter(
        customer=customer, status=ContactChangeStatus.PENDING, changes=changes
    ).first()
    if waiting is not None:
        return waiting
    change = ContactChange.objects.create(
        customer=customer,
        changes=changes,
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    payload = {"change_id": change.pk, "changes": shown_changes(changes)}
    _record_contact(
        actor=actor,
        customer=customer,
        type=EventType.CONTACT_CHANGE_HELD,
        action="customer.contact_change_held",
        payload=payload,
        audited={"change_id": change.pk, "changes": audited_changes(changes)},
    )
    return change


def _same_changes(read, changes: dict) -> bool:
    if isinstance(read, str):  # a backend handing JSON back as text
        read = json.loads(read)
    return read == changes


def stale_fields(change: ContactChange, customer: Customer) -> list[str]:
    """The fields of a held change whose value on file is no longer the one it was held against
    (changed since by the admin or another confirmed change): such a change no longer applies."""
    return [f for f, c in change.changes.items() if getattr(customer, f) != c["from"]]


@transaction.atomic
def contact_change_decide(*, actor, case: Case, change_id: int, confirm: bool) -> ContactChange:
    """An agent of one of the customer's cases confirms (applies) or rejects a held change."""
    case = Case.objects.select_for_update(no_key=True).get(pk=case.pk)
    permissions.require(
        permissions.can_work_case(actor, case),
        _("Only agents of this case's queue can confirm the customer's contact."),
    )
    change = (
        ContactChange.objects.select_for_update(no_key=True)
        .filter(pk=change_id, customer_id=case.customer_id)
        .first()
    )
    if change is None:
        raise NotFound(_("No contact change %(id)s for this case's customer.") % {"id": change_id})
    policy.ensure_open(case)
    if change.status != ContactChangeStatus.PENDING:
        raise Conflict(_("This contact change has been decided already."), code="already_decided")
    customer = Customer.objects.select_for_update(no_key=True).get(pk=change.customer_id)
    stale = stale_fields(change, customer)
    if confirm and stale:
        raise Conflict(
            _("The customer's %(fields)s changed since; this change no longer applies.")
            % {"fields": ", ".join(str(Customer._meta.get_field(f).verbose_name) for f in stale)},
            code="contact_change_stale",
        )
    change.status = ContactChangeStatus.CONFIRMED if confirm else ContactChangeStatus.REJECTED
    change.decided_by, change.decided_at = actor, timezone.now()
    change.save(update_fields=["status", "decided_by", "decided_at"])
    if confirm:
        for field, c in change.changes.items():
            setattr(customer, field, c["to"])
        customer.save(update_fields=[*change.changes, "updated_at"])
    payload = {"change_id": change.pk, "changes": shown_changes(change.changes)}
    _record_contact(
        actor=actor,
        customer=customer,
        type=EventType.CONTACT_CHANGED if confirm else EventType.CONTACT_CHANGE_REJECTED,
        action=f"customer.contact_change_{'confirmed' if confirm else 'rejected'}",
        payload=payload,
        audited={
            "change_id": change.pk,
            "changes": audited_changes(change.changes),
            "case": case.reference,
        },
    )
    return change


@transaction.atomic
def customer_contact_edit(*, actor, customer: Customer, values: dict) -> Customer:
    """Operations correct a customer's contact in the admin: applied at once (the admin is where a
    change is confirmed by hand), and recorded like a confirmed change: an event on each open case
    of the customer and an audit row, old → new."""
    customer = Customer.objects.select_for_update(no_key=True).get(pk=customer.pk)
    changes = {
        field: {"from": getattr(customer, field), "to": values[field]}
        for field in CONTACT_FIELDS
        if field in values and getattr(customer, field) != values[field]
    }
    if not changes:
        return customer
    for field, c in changes.items():
        setattr(customer, field, c["to"])
    customer.save(update_fields=[*changes, "updated_at"])
    # The history: a correction is kept as a confirmed change (old → new, who, when), like one an
    # agent confirmed, so the customer's record (privacy.bundle) shows every value they had.
    staff = actor if getattr(actor, "is_authenticated", False) else None
    change = ContactChange.objects.create(
        customer=customer,
        changes=changes,
        status=ContactChangeStatus.CONFIRMED,
        requested_by=staff,
        decided_by=staff,
        decided_at=timezone.now(),
    )
    payload = {"change_id": change.pk, "changes": shown_changes(changes), "how": "admin"}
    _record_contact(
        actor=actor,
        customer=customer,
        type=EventType.CONTACT_CHANGED,
        action="customer.contact_edit",
        payload=payload,
        audited={"change_id": change.pk, "changes": audited_changes(changes), "how": "admin"},
    )
    return customer
