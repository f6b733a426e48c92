"""Recharge orders (the mis-recharge records): upsert by `order_id`, carrier looked up from the number."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction

from backoffice.audit.services import audit_record
from backoffice.errors import Invalid
from cases.choices import Carrier, OrderStatus
from cases.models import Customer, RechargeOrder
from cases.phones import InvalidPhone, lookup_carrier, normalize_phone


@dataclass(frozen=True)
class OrderData:
    order_id: str
    phone: str
    face_value: Decimal
    amount_paid: Decimal
    status: str
    intended_phone: str = ""
    carrier: str = ""
    currency: str = "CNY"
    paid_at: datetime | None = None
    client_ip: str | None = None
    amount_edits: int | None = None


def clean_order(data: OrderData) -> dict:
    """The model fields for an order, or `Invalid` naming every bad field."""
    errors: dict[str, list[str]] = {}
    fields: dict = {}
    for name, required in (("phone", True), ("intended_phone", False)):
        raw = getattr(data, name) or ""
        if not raw and not required:
            fields[name] = ""
            continue
        try:
            fields[name] = normalize_phone(raw, mobile_only=True)
        except InvalidPhone as exc:
            errors[name] = [str(exc)]
    if data.carrier and data.carrier not in Carrier.values:
        errors["carrier"] = [
            f"Unknown carrier “{data.carrier}”; one of {', '.join(Carrier.values)}."
        ]
    if data.status not in OrderStatus.values:
        errors["status"] = [
            f"Unknown status “{data.status}”; one of {', '.join(OrderStatus.values)}."
        ]
    for name in ("face_value", "amount_paid"):
        if getattr(data, name) < 0:
            errors[name] = ["Must not be negative."]
    if data.currency != "CNY":
        errors["currency"] = ["Only CNY is supported."]
    if not (data.order_id or "").strip():
        errors["order_id"] = ["This field is required."]
    if errors:
        raise Invalid(errors)
    fields.update(
        declared_carrier=data.carrier,
        looked_up_carrier=lookup_carrier(fields["phone"]),
        face_value=data.face_value,
        amount_paid=data.amount_paid,
        currency=data.currency,
        status=data.status,
        paid_at=data.paid_at,
        client_ip=data.client_ip or None,
        amount_edits=data.amount_edits,
    )
    return fields


@transaction.atomic
def recharge_orders_upsert(*, actor, items: list[OrderData]) -> tuple[list[RechargeOrder], int]:
    """The recharge-order feed: upsert each by `order_id`; returns (orders, how many were new)."""
    errors = {}
    for index, item in enumerate(items):
        try:
            clean_order(item)
        except Invalid as exc:
            errors[str(index)] = exc.errors
    if errors:
        raise Invalid(errors)
    orders, created = [], 0
    for item in items:
        order, was_created = recharge_order_upsert(data=item)
        orders.append(order)
        created += was_created
    audit_record(
        actor=actor,
        action="orders.upsert",
        object_type="cases.rechargeorder",
        object_id=f"{len(items)} orders",
        payload={"created": created, "order_ids": [o.order_id for o in orders][:50]},
    )
    return orders, created


@transaction.atomic
def recharge_order_upsert(
    *, data: OrderData, customer: Customer | None = None
) -> tuple[RechargeOrder, bool]:
    """Create or update the order with this `order_id`; returns (order, created)."""
    fields = clean_order(data)
    if customer is not None:
        fields["customer"] = customer
    order, created = RechargeOrder.objects.update_or_create(
        order_id=data.order_id.strip(), defaults=fields
    )
    return order, created
