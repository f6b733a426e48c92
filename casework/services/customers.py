"""Customers at intake: found by their external id, created with the fields given, a different
contact held for an agent to confirm (`casework.services.contacts`)."""

from dataclasses import dataclass

from django.db import connection
from django.utils.translation import gettext as _

from backoffice.errors import Invalid
from cases.models import ContactChange, Customer
from cases.phones import InvalidPhone, normalize_phone
from casework.services.contacts import CONTACT_FIELDS, hold_contact_change, latest_pending


@dataclass(frozen=True)
class CustomerData:
    external_id: str
    name: str = ""
    phone: str = ""
    email: str = ""
    language: str = ""


def customer_upsert(*, data: CustomerData, actor=None) -> Customer:
    """The customer with this external id, created with the fields given; a known one gets its
    empty contact fields filled and its language set, while a different name, phone or e-mail
    is held for an agent to confirm (`casework.services.contacts`), never written over silently."""
    return _customer_upsert(data=data, actor=actor)[0]


LOOK_UP = object()  # `_customer_upsert`'s `found`: read the customer now


def customers_found(external_ids) -> dict[str, Customer]:
    """The known customers among `external_ids`, read as `_customer_upsert` reads one (with their
    latest waiting contact change), in one statement."""
    ids = sorted({(e or "").strip() for e in external_ids} - {""})
    query = Customer.objects.filter(external_id__in=ids).annotate(**latest_pending())
    return {c.external_id: c for c in query}


def _customer_upsert(
    *, data: CustomerData, actor, found=LOOK_UP
) -> tuple[Customer, ContactChange | None]:
    """`found`: the customer as read just before (`customers_found`; None: not known), when the
    caller read it with others; by default it is read here."""
    external_id, fields = customer_fields(data)
    customer = found
    if found is LOOK_UP:
        customer = (
            Customer.objects.filter(external_id=external_id).annotate(**latest_pending()).first()
        )
    if customer is None:
        customer = _customer_insert(external_id, fields)  # or the row a concurrent intake made
        return customer, hold_contact_change(actor=actor, customer=customer, given=fields)
    held = hold_contact_change(actor=actor, customer=customer, given=fields)
    changed = [
        k
        for k, v in fields.items()
        if getattr(customer, k) != v and (k not in CONTACT_FIELDS or not getattr(customer, k))
    ]
    if changed:
        for name in changed:
            setattr(customer, name, fields[name])
        customer.save(update_fields=[*changed, "updated_at"])
    return customer, held


def customer_fields(data: CustomerData) -> tuple[str, dict]:
    """The external id and the model fields given (the empty ones left out), or `Invalid`."""
    external_id = (data.external_id or "").strip()
    if not external_id:
        raise Invalid({"customer": {"external_id": [_("This field is required.")]}})
    fields = {"name": data.name, "email": data.email, "language": data.language}
    if data.phone:
        try:
            fields["phone"] = normalize_phone(data.phone)
        except InvalidPhone as exc:
            raise Invalid({"customer": {"phone": [str(exc)]}}) from exc
    return external_id, {k: v for k, v in fields.items() if v}


def _customer_insert(external_id: str, fields: dict) -> Customer:
    """A new customer, in one statement with no savepoint (`customers_insert`)."""
    return customers_insert({external_id: fields})[external_id]


CHUNK = 1000  # rows per INSERT: PostgreSQL takes at most 65,535 parameters (about 10 a row)


def customers_insert(new: dict[str, dict]) -> dict[str, Customer]:
    """New customers (external id: fields given), one statement per set of fields given, no
    savepoint. A customer inserted by a concurrent intake since our lookup is updated with the
    fields given instead — its contact fields only where they are empty, as for any known customer
    (the caller holds the differences) — and its row is returned as it now stands (so the other
    columns are the database's, not our defaults)."""
    groups: dict[tuple[str, ...], list[Customer]] = {}
    for external_id in sorted(new):  # two batches inserting the same ids wait, never deadlock
        fields = new[external_id]
        customer = Customer(external_id=external_id, **fields)
        for field in Customer._meta.concrete_fields:
            if not field.primary_key:
                setattr(customer, field.attname, field.pre_save(customer, add=True))
        groups.setdefault(tuple(sorted(fields)), []).append(customer)
    rows = {}
    for given, customers in groups.items():
        for start in range(0, len(customers), CHUNK):
            chunk = customers[start : start + CHUNK]
            rows.update({c.external_id: c for c in _insert_group(chunk, set(given))})
    return rows


def _insert_group(customers: list[Customer], given: set[str]):
    columns = [f for f in Customer._meta.concrete_fields if not f.primary_key]
    updated = [f for f in columns if f.name in given or f.name == "updated_at"]
    quote = connection.ops.quote_name
    table = quote(Customer._meta.db_table)
    row = f"({', '.join(['%s'] * len(columns))})"
    sql = (
        f"INSERT INTO {table} ({', '.join(quote(f.column) for f in columns)}) "  # noqa: S608
        f"VALUES {', '.join([row] * len(customers))} "
        f"ON CONFLICT ({quote('external_id')}) DO UPDATE SET "
        + ", ".join(_on_conflict(table, quote(f.column), f.name) for f in updated)
        + f" RETURNING {', '.join(quote(f.column) for f in Customer._meta.concrete_fields)}"
    )
    params = [
        f.get_db_prep_save(getattr(customer, f.attname), connection)
        for customer in customers
        for f in columns
    ]
    return Customer.objects.raw(sql, params)


def _on_conflict(table: str, column: str, name: str) -> str:
    if name in CONTACT_FIELDS:  # never over a contact on file
        return f"{column} = CASE WHEN {table}.{column} = '' THEN EXCLUDED.{column} ELSE {table}.{column} END"
    return f"{column} = EXCLUDED.{column}"
