"""Recharge orders (the mis-recharge records): upsert by `order_id`, carrier looked up from the number."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.audit.services import audit_record
from backoffice.domain_events import publish
from backoffice.errors import Invalid
from backoffice.wiring import plugged
from cases.choices import Carrier, EventType, OrderStatus
from cases.domain_events import OrdersReceived
from cases.events import record_event
from cases.models import Case, Customer, RechargeOrder
from cases.phones import InvalidPhone, lookup_carrier, normalize_phone


class _Unset:
    """A field the feed left out: a new order takes the default, a known order keeps its value."""

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET = _Unset()


@dataclass(frozen=True)
class OrderData:
    order_id: str
    phone: str
    face_value: Decimal
    amount_paid: Decimal
    status: str
    intended_phone: str = UNSET
    carrier: str = UNSET
    currency: str = UNSET
    paid_at: datetime | None = UNSET
    client_ip: str | None = UNSET
    amount_edits: int | None = UNSET

    def given(self, name: str) -> bool:
        return getattr(self, name) is not UNSET


def _amount_locked(pks: list[int]) -> set[int]:
    locked: set[int] = set()
    if pks:  # settings.ORDER_AMOUNT_GUARDS: `guard(order_pks) -> pks whose amount is locked`
        for guard in plugged("ORDER_AMOUNT_GUARDS"):
            locked |= guard(pks)
    return locked


def clean_order(data: OrderData) -> dict:
    """The model fields for an order, or `Invalid` naming every bad field. Fields the feed left out
    are not in the result (`new_order_fields` adds a new order's defaults)."""
    errors: dict[str, list[str]] = {}
    fields: dict = {}
    for name, required in (("phone", True), ("intended_phone", False)):
        if not required and not data.given(name):
            continue
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
    if data.given("currency") and data.currency != "CNY":
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
        looked_up_carrier=lookup_carrier(fields["phone"]),
        face_value=data.face_value,
        amount_paid=data.amount_paid,
        status=data.status,
    )
    for name, field in (
        ("carrier", "declared_carrier"),
        ("currency", "currency"),
        ("paid_at", "paid_at"),
        ("client_ip", "client_ip"),
        ("amount_edits", "amount_edits"),
    ):
        if data.given(name):
            value = getattr(data, name)
            fields[field] = (value or None) if name == "client_ip" else value
    return fields


def new_order_fields(fields: dict) -> dict:
    """`clean_order`'s fields with the defaults of what the feed left out (a new order)."""
    defaults = {
        "intended_phone": "",
        "declared_carrier": "",
        "currency": "CNY",
        "paid_at": None,
        "client_ip": None,
        "amount_edits": None,
    }
    return {**defaults, **fields}


def _apply(order: RechargeOrder, data: OrderData, fields: dict, *, locked: bool) -> dict:
    """Update a known order with the fields given; (field: (old, new)) of the money that changed.
    A changed amount paid on an order whose refunds were worked out from it is refused."""
    money = {
        name: (getattr(order, name), fields[name])
        for name in ("amount_paid", "face_value")
        if getattr(order, name) != fields[name]
    }
    if locked and "amount_paid" in money:
        old, new = money["amount_paid"]
        raise Invalid(
            {
                "amount_paid": [
                    _(
                        "Order %(order)s has refunds worked out from its amount paid "
                        "(%(old)s); the feed cannot change it to %(new)s. Ask finance to "
                        "correct it."
                    )
                    % {"order": order.order_id, "old": old, "new": new}
                ]
            },
            code="amount_paid_locked",
        )
    for name, value in fields.items():
        setattr(order, name, value)
    if data.given("paid_at") and data.paid_at:
        order.placed_at = data.paid_at
    return money


def _record_money_changes(*, actor, changes: dict[RechargeOrder, dict]) -> None:
    """A timeline event on every case of each order whose money changed, and an audit row each."""
    changes = {order: money for order, money in changes.items() if money}
    if not changes:
        return
    by_order: dict[int, list[Case]] = {}
    for case in Case.objects.filter(recharge_order__in=[o.pk for o in changes]).order_by("pk"):
        by_order.setdefault(case.recharge_order_id, []).append(case)
    for order, money in sorted(changes.items(), key=lambda item: item[0].order_id):
        payload = {
            "order_id": order.order_id,
            **{name: {"from": str(old), "to": str(new)} for name, (old, new) in money.items()},
        }
        for case in by_order.get(order.pk, []):
            record_event(
                case=case, type=EventType.ORDER_AMOUNT_CHANGED, actor=actor, payload=payload
            )
        audit_record(
            actor=actor,
            action="order.amount_change",
            object_type="cases.rechargeorder",
            object_id=order.order_id,
            payload=payload,
        )


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
    rules over the failures; returns (one order per item, how many were new). Fields left out keep
    their values; a changed amount paid is refused on an order with refunds and recorded (timeline
    of its cases, audit) on any other."""
    errors, cleaned, index_of = {}, {}, {}
    for index, item in enumerate(items):
        try:
            cleaned[item.order_id.strip()] = (item, clean_order(item))
            index_of[item.order_id.strip()] = index
        except Invalid as exc:
            errors[str(index)] = exc.errors
    if errors:
        raise Invalid(errors)
    by_id, created, changes = _bulk_upsert(cleaned, index_of)
    orders = [by_id[item.order_id.strip()] for item in items]
    publish(OrdersReceived(orders=tuple(by_id.values()), actor=actor))  # the risk feed rule
    _record_money_changes(actor=actor, changes=changes)  # audits: the chain's lock comes last
    audit_record(
        actor=actor,
        action="orders.upsert",
        object_type="cases.rechargeorder",
        object_id=f"{len(items)} orders",
        payload={"created": created, "order_ids": [o.order_id for o in orders][:50]},
    )
    return orders, created


def _bulk_upsert(
    cleaned: dict[str, tuple[OrderData, dict]], index_of: dict[str, int]
) -> tuple[dict[str, RechargeOrder], int, dict]:
    """Existing orders updated (locked in key order), new ones inserted: (orders by id, how many
    new, the money changed per known order). A row inserted concurrently since the lookup is
    updated instead (ON CONFLICT) with the fields given."""
    now = timezone.now()
    existing = {
        o.order_id: o
        for o in RechargeOrder.objects.select_for_update(no_key=True)
        .filter(order_id__in=list(cleaned))
        .order_by("pk")
    }
    locked = _amount_locked([o.pk for o in existing.values()])
    updated, new, changes, errors = [], [], {}, {}
    for order_id, (item, fields) in cleaned.items():
        order = existing.get(order_id)
        if order is None:
            order = RechargeOrder(
                order_id=order_id, placed_at=item.paid_at or now, **new_order_fields(fields)
            )
            new.append(order)
            continue
        try:
            changes[order] = _apply(order, item, fields, locked=order.pk in locked)
        except Invalid as exc:
            errors[str(index_of[order_id])] = exc.errors
            continue
        order.updated_at = now
        updated.append(order)
    if errors:
        raise Invalid(errors, code="amount_paid_locked")
    RechargeOrder.objects.bulk_update(updated, ORDER_FIELDS, batch_size=BATCH)
    new.sort(key=lambda o: o.order_id)  # two feeds inserting the same ids wait, never deadlock
    _insert_new(new, cleaned)
    return {o.order_id: o for o in (*updated, *new)}, len(new), changes


def _insert_new(new: list[RechargeOrder], cleaned: dict[str, tuple[OrderData, dict]]) -> None:
    """Insert the new orders, grouped by the fields the feed gave (a row inserted concurrently
    since the lookup is updated with those only: what was left out keeps its value)."""
    groups: dict[tuple[str, ...], list[RechargeOrder]] = {}
    for order in new:
        item, fields = cleaned[order.order_id]
        given = {*fields, "updated_at", *(["placed_at"] if item.paid_at else [])}
        key = tuple(f for f in ORDER_FIELDS if f in given)
        groups.setdefault(key, []).append(order)
    for update_fields, orders in groups.items():
        RechargeOrder.objects.bulk_create(
            orders,
            batch_size=BATCH,
            update_conflicts=True,
            unique_fields=["order_id"],
            update_fields=list(update_fields),
        )


READ_HERE = object()  # `recharge_order_upsert`'s `found`: read and lock the order there


def orders_locked(order_ids) -> dict[str, RechargeOrder]:
    """The known orders among `order_ids`, locked as `recharge_order_upsert` locks one, in key
    order, in one statement."""
    ids = sorted({(o or "").strip() for o in order_ids} - {""})
    query = RechargeOrder.objects.select_for_update(no_key=True).filter(order_id__in=ids)
    return {o.order_id: o for o in query.order_by("pk")}


def owned_by(order: RechargeOrder | None, customer: Customer) -> bool:
    """A case's intake may upsert a new order, one of no customer yet, or one of this customer."""
    return order is None or order.customer_id in (None, customer.pk)


@transaction.atomic(savepoint=False)
def recharge_order_upsert(
    *, data: OrderData, customer: Customer | None = None, actor=None, found=READ_HERE
) -> tuple[RechargeOrder, bool]:
    """Create or update the order with this `order_id` (and run the feed's risk rule on it);
    returns (order, created). `placed_at` is `paid_at`, or else when the order was first received.
    Fields left out keep their values; a changed amount paid is refused when the order has
    refunds, recorded otherwise; an order of another customer is refused.

    No savepoint: a lookup under a row lock, then one UPDATE, or one INSERT whose ON CONFLICT
    updates an order inserted concurrently since the lookup. `found`: the order as the caller
    read and locked it with others (`orders_locked`; None: not known)."""
    fields = clean_order(data)
    order_id = data.order_id.strip()
    order = found
    if found is READ_HERE:
        order = (
            RechargeOrder.objects.select_for_update(no_key=True).filter(order_id=order_id).first()
        )
    created = order is None
    if customer is not None:
        if not owned_by(order, customer):
            raise Invalid(
                {
                    "order_id": [
                        _("Order %(order)s belongs to another customer.") % {"order": order_id}
                    ]
                }
            )
        fields["customer"] = customer
    if created:
        order = RechargeOrder(
            order_id=order_id,
            placed_at=data.paid_at or timezone.now(),
            **new_order_fields(fields),
        )
        RechargeOrder.objects.bulk_create(
            [order],
            update_conflicts=True,
            unique_fields=["order_id"],
            update_fields=[*fields, *(["placed_at"] if data.paid_at else []), "updated_at"],
        )
    else:
        money = _apply(order, data, fields, locked=bool(_amount_locked([order.pk])))
        order.save(update_fields=[*fields, "placed_at", "updated_at"])
    publish(OrdersReceived(orders=(order,), actor=actor))  # the risk feed rule
    if not created:
        _record_money_changes(actor=actor, changes={order: money})  # the chain's lock last
    return order, created
