"""Recharge orders (the mis-recharge records): upsert by `order_id`, carrier looked up from the number."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.db import transaction
from django.utils import timezone

from backoffice.audit.services import audit_record
from backoffice.errors import Invalid
from cases.choices import Carrier, OrderStatus
from cases.models import Customer, RechargeOrder
from cases.phones import InvalidPhone, lookup_carrier, normalize_phone
from cases.risk.services import risk_orders_received


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
    if data.client_ip:
        try:
            validate_ipv46_address(data.client_ip)
        except ValidationError:
            errors["client_ip"] = [f"“{data.client_ip}” is not an IPv4 or IPv6 address."]
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


ORDER_FIELDS = (
    "phone",
    "intended_phone",
    "declared_carrier",
    "looked_up_carrier",
    "face_value",
    "amount_paid",
    "currency",
    "status",
    "paid_at",
    "client_ip",
    "amount_edits",
    "placed_at",
    "updated_at",
)
BATCH = 500


@transaction.atomic
def recharge_orders_upsert(*, actor, items: list[OrderData]) -> tuple[list[RechargeOrder], int]:
    """The recharge-order feed: upsert each by `order_id` (the last of repeats wins), then the risk
    rules over the failures; returns (one order per item, how many were new)."""
    errors, cleaned = {}, {}
    for index, item in enumerate(items):
        try:
            cleaned[item.order_id.strip()] = (item, clean_order(item))
        except Invalid as exc:
            errors[str(index)] = exc.errors
    if errors:
        raise Invalid(errors)
    by_id, created = _bulk_upsert(cleaned)
    orders = [by_id[item.order_id.strip()] for item in items]
    risk_orders_received(actor=actor, orders=list(by_id.values()))
    audit_record(
        actor=actor,
        action="orders.upsert",
        object_type="cases.rechargeorder",
        object_id=f"{len(items)} orders",
        payload={"created": created, "order_ids": [o.order_id for o in orders][:50]},
    )
    return orders, created


def _bulk_upsert(
    cleaned: dict[str, tuple[OrderData, dict]],
) -> tuple[dict[str, RechargeOrder], int]:
    """Existing orders updated (locked in key order), new ones inserted: (orders by id, how many
    new). A row inserted concurrently since the lookup is updated instead (ON CONFLICT)."""
    now = timezone.now()
    existing = {
        o.order_id: o
        for o in RechargeOrder.objects.select_for_update(no_key=True)
        .filter(order_id__in=list(cleaned))
        .order_by("pk")
    }
    updated, new = [], []
    for order_id, (item, fields) in cleaned.items():
        order = existing.get(order_id)
        if order is None:
            order = RechargeOrder(order_id=order_id, placed_at=item.paid_at or now, **fields)
            new.append(order)
        else:
            for name, value in fields.items():
                setattr(order, name, value)
            order.placed_at = item.paid_at or order.placed_at
            order.updated_at = now
            updated.append(order)
    RechargeOrder.objects.bulk_update(updated, ORDER_FIELDS, batch_size=BATCH)
    new.sort(key=lambda o: o.order_id)  # two feeds inserting the same ids wait, never deadlock
    RechargeOrder.objects.bulk_create(
        new,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["order_id"],
        update_fields=ORDER_FIELDS,
    )
    return {o.order_id: o for o in (*updated, *new)}, len(new)


@transaction.atomic(savepoint=False)
def recharge_order_upsert(
    *, data: OrderData, customer: Customer | None = None, actor=None
) -> tuple[RechargeOrder, bool]:
    """Create or update the order with this `order_id` (and run the feed's risk rule on it);
    returns (order, created). `placed_at` is `paid_at`, or else when the order was first received.

    No savepoint: a lookup under a row lock, then one UPDATE, or one INSERT whose ON CONFLICT
    updates an order inserted concurrently since the lookup."""
    fields = clean_order(data)
    if customer is not None:
        fields["customer"] = customer
    order_id = data.order_id.strip()
    order = RechargeOrder.objects.select_for_update(no_key=True).filter(order_id=order_id).first()
    created = order is None
    if created:
        order = RechargeOrder(order_id=order_id, placed_at=data.paid_at or timezone.now(), **fields)
        RechargeOrder.objects.bulk_create(
            [order],
            update_conflicts=True,
            unique_fields=["order_id"],
            update_fields=[*fields, *(["placed_at"] if data.paid_at else []), "updated_at"],
        )
    else:
        for name, value in fields.items():
            setattr(order, name, value)
        order.placed_at = data.paid_at or order.placed_at
        order.save(update_fields=[*fields, "placed_at", "updated_at"])
    risk_orders_received(actor=actor, orders=[order])
    return order, created
