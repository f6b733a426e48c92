"""Opening a case: customer, order, risk flags, duplicate link, routing and the risk rules' actions,
reference, assignment, events."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.audit.services import audit_deferred
from backoffice.domain_events import publish
from backoffice.errors import Invalid
from backoffice.held_rows import insert_rows
from cases.choices import (
    RECHARGE_CATEGORIES,
    AssignmentMode,
    Category,
    Channel,
    EventType,
    FlagCode,
    Status,
)
from cases.domain_events import CaseOpened
from cases.events import audit_case, events_batched, record_event
from cases.models import (
    Case,
    CaseFlag,
    ContactChange,
    CreditAccountSnapshot,
    Customer,
    QueueMembership,
)
from cases.phones import InvalidPhone, normalize_phone
from cases.references import case_insert_numbered
from cases.triage import suggest_sub_cause
from casework.services.contacts import (
    CONTACT_FIELDS,
    hold_contact_change,
    latest_pending,
    shown_changes,
)
from casework.services.orders import OrderData, recharge_order_upsert
from casework.services.routing import route_case
from risk import engine as risk
from sla.models import SlaClock
from sla.services import clocks_plan_for_case, clocks_start_planned


@dataclass(frozen=True)
class CustomerData:
    external_id: str
    name: str = ""
    phone: str = ""
    email: str = ""
    language: str = ""


@dataclass(frozen=True)
class CreditAccountData:
    limit: Decimal
    available: Decimal
    frozen: bool = False
    overdue_days: int = 0
    recent_login_failures: int = 0


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
    external_id = (data.external_id or "").strip()
    if not external_id:
        raise Invalid({"customer": {"external_id": [_("This field is required.")]}})
    fields = {"name": data.name, "email": data.email, "language": data.language}
    if data.phone:
        try:
            fields["phone"] = normalize_phone(data.phone)
        except InvalidPhone as exc:
            raise Invalid({"customer": {"phone": [str(exc)]}}) from exc
    fields = {k: v for k, v in fields.items() if v}
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


def _customer_insert(external_id: str, fields: dict) -> Customer:
    """A new customer, in one statement with no savepoint. A customer inserted by a concurrent
    intake since our lookup is updated with the fields given instead — its contact fields only
    where they are empty, as for any known customer (the caller holds the differences) — and its
    row is returned as it now stands (so the other columns are the database's, not our
    defaults)."""
    customer = Customer(external_id=external_id, **fields)
    for field in Customer._meta.concrete_fields:
        if not field.primary_key:
            setattr(customer, field.attname, field.pre_save(customer, add=True))
    columns = [f for f in Customer._meta.concrete_fields if not f.primary_key]
    updated = [f for f in columns if f.name in fields or f.name == "updated_at"]
    quote = connection.ops.quote_name
    table = quote(Customer._meta.db_table)
    sql = (
        f"INSERT INTO {table} ({', '.join(quote(f.column) for f in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({quote('external_id')}) DO UPDATE SET "
        + ", ".join(_on_conflict(table, quote(f.column), f.name) for f in updated)
        + f" RETURNING {', '.join(quote(f.column) for f in Customer._meta.concrete_fields)}"
    )
    params = [f.get_db_prep_save(getattr(customer, f.attname), connection) for f in columns]
    return next(iter(Customer.objects.raw(sql, params)))


def _on_conflict(table: str, column: str, name: str) -> str:
    if name in CONTACT_FIELDS:  # never over a contact on file
        return f"{column} = CASE WHEN {table}.{column} = '' THEN EXCLUDED.{column} ELSE {table}.{column} END"
    return f"{column} = EXCLUDED.{column}"


def _flags_at_intake(*, category, order, duplicate_of, signals) -> list[tuple[str, str]]:
    """The risk rules' flags (`risk.engine`) and the two bookkeeping ones."""
    flags = [(signal.code, signal.detail) for signal in signals]
    if category in RECHARGE_CATEGORIES and order is None:
        flags.append((FlagCode.MISSING_ORDER, "A recharge complaint without its recharge order"))
    if duplicate_of is not None:
        flags.append((FlagCode.DUPLICATE, f"Same customer and order as {duplicate_of.reference}"))
    return flags


def _round_robin_member(queue):
    """The active member of a round-robin queue assigned longest ago (row-locked, so fair)."""
    membership = (
        QueueMembership.objects.select_for_update(no_key=True)
        .filter(queue=queue, active=True, user__is_active=True)
        .order_by(F("last_assigned_at").asc(nulls_first=True), "id")
        .select_related("user")
        .first()
    )
    if membership is None:
        return None
    membership.last_assigned_at = timezone.now()
    membership.save(update_fields=["last_assigned_at"])
    return membership.user


def _validate_choices(*, channel: str, category: str) -> None:
    errors = {}
    if channel not in Channel.values:
        errors["channel"] = [f"“{channel}” is not one of {', '.join(Channel.values)}."]
    if category not in Category.values:
        errors["category"] = [f"“{category}” is not one of {', '.join(Category.values)}."]
    if errors:
        raise Invalid(errors)


@dataclass(frozen=True)
class Opened:
    """A case just opened, with the flags and clocks its intake wrote."""

    case: Case
    flags: list[CaseFlag]
    clocks: list[SlaClock]


@transaction.atomic
@audit_deferred()  # the audit chain's lock last: after the reference counter's row lock
def case_intake(
    *,
    actor,
    channel: str,
    category: str,
    subject: str,
    customer: CustomerData,
    description: str = "",
    received_at: datetime | None = None,
    recharge_order: OrderData | None = None,
    credit_account: CreditAccountData | None = None,
    follows: Case | None = None,
) -> Opened:
    return intake_within(
        actor=actor,
        channel=channel,
        category=category,
        subject=subject,
        customer=customer,
        description=description,
        received_at=received_at,
        recharge_order=recharge_order,
        credit_account=credit_account,
        follows=follows,
    )


def intake_checked(*, channel: str, category: str, received_at: datetime | None) -> datetime:
    """The checks of a complaint that need no database: its choices and an aware receipt time
    (now when not given)."""
    _validate_choices(channel=channel, category=category)
    received_at = received_at or timezone.now()
    if timezone.is_naive(received_at):
        raise Invalid(
            {"received_at": [_("Give a time zone offset, e.g. 2026-09-30T10:00:00+08:00.")]}
        )
    return received_at


def intake_within(
    *,
    actor,
    channel: str,
    category: str,
    subject: str,
    customer: CustomerData,
    description: str = "",
    received_at: datetime | None = None,
    recharge_order: OrderData | None = None,
    credit_account: CreditAccountData | None = None,
    follows: Case | None = None,
    incident=None,
    customer_found=LOOK_UP,
) -> Opened:
    """`case_intake`'s body, inside the caller's transaction and `audit_deferred` block (the bulk
    intake opens many cases in one of each). `incident`: an open incident the case is opened in
    (its link event follows the opening ones; the caller audits the link). `customer_found`: the
    customer as the caller read it (`customers_found`)."""
    received_at = intake_checked(channel=channel, category=category, received_at=received_at)
    cust, held = _customer_upsert(data=customer, actor=actor, found=customer_found)
    order = None
    if recharge_order is not None:
        try:
            order, _created = recharge_order_upsert(data=recharge_order, customer=cust, actor=actor)
        except Invalid as exc:
            raise Invalid({"recharge_order": exc.errors}) from exc
    # Direct calls into risk (and into sla below), not domain events: they are not reactions to
    # the case but parts of building it; their answers decide its duplicate link, flags, queue,
    # priority and clocks, and the clocks are the deadlines of the 201 body.
    rules = risk.enabled_rules()
    facts = risk.intake_facts(customer=cust, order=order, rules=rules)
    duplicate_of = None
    if facts.get("duplicate_of"):
        duplicate_of = Case.objects.get(pk=facts["duplicate_of"])
    signals = risk.intake_signals(
        channel=channel, customer=cust, order=order, rules=rules, facts=facts
    )
    flags = _flags_at_intake(
        category=category, order=order, duplicate_of=duplicate_of, signals=signals
    )
    flag_codes = {code for code, _ in flags}
    route = route_case(
        category=category,
        channel=channel,
        amount=order.amount_paid if order else None,
        flags=flag_codes,
    )
    outcome = risk.intake_actions(queue=route.queue, priority=route.priority, signals=signals)
    suggestion = None
    if category == Category.CREDIT_LIMIT_UNUSABLE:
        suggestion = suggest_sub_cause(credit_account)
    assignee = None
    if outcome.queue.assignment_mode == AssignmentMode.ROUND_ROBIN:
        assignee = _round_robin_member(outcome.queue)
    case = Case(
        customer=cust,
        recharge_order=order,
        channel=channel,
        category=category,
        priority=outcome.priority,
        status=Status.NEW,
        queue=outcome.queue,
        assignee=assignee,
        subject=subject,
        description=description,
        received_at=received_at,
        duplicate_of=duplicate_of,
        follows=follows,
        suggested_sub_cause=suggestion.sub_cause if suggestion else "",
        incident=incident,
    )
    clocks = clocks_plan_for_case(case=case, flag_codes=flag_codes)  # sets case.next_due_at
    # The day's reference counter row stays locked until commit: take it as late as possible,
    # with the case's INSERT.
    case_insert_numbered(case)
    with events_batched():  # one INSERT for the whole timeline of the intake
        if credit_account is not None:
            insert_rows([CreditAccountSnapshot(case=case, **credit_account.__dict__)])
        case_flags = insert_rows([CaseFlag(case=case, code=c, detail=d) for c, d in flags])
        _opening_events(
            case=case,
            actor=actor,
            order=order,
            route=route,
            outcome=outcome,
            flags=flags,
            suggestion=suggestion,
        )
        clocks_start_planned(clocks=clocks, actor=actor)  # the plan's second half, case saved
        if held is not None:
            record_event(
                case=case,
                type=EventType.CONTACT_CHANGE_HELD,
                actor=actor,
                payload={"change_id": held.pk, "changes": shown_changes(held.changes)},
            )
        publish(CaseOpened(case=case, clocks=tuple(clocks), actor=actor))
        if incident is not None:
            record_event(
                case=case,
                type=EventType.INCIDENT_LINKED,
                actor=actor,
                payload={"incident": incident.code},
            )
    audit_case(
        actor=actor,
        action="case.open",
        case=case,
        payload={
            "queue": outcome.queue.code,
            "priority": outcome.priority,
            "flags": sorted(flag_codes),
        },
    )
    return Opened(case=case, flags=case_flags, clocks=clocks)


def case_open(**kwargs) -> Case:
    """Open a case (`case_intake`'s arguments); the case."""
    return case_intake(**kwargs).case


def _opening_events(*, case, actor, order, route, outcome, flags, suggestion) -> None:
    record_event(
        case=case,
        type=EventType.OPENED,
        actor=actor,
        payload={
            "channel": case.channel,
            "category": case.category,
            "received_at": case.received_at.isoformat(),
            "order_id": order.order_id if order else None,
        },
    )
    record_event(
        case=case,
        type=EventType.ROUTED,
        actor=actor,
        payload={
            "queue": outcome.queue.code,
            "priority": outcome.priority,
            "rule": route.rule.name if route.rule else None,
            **({"risk": outcome.applied} if outcome.applied else {}),
        },
    )
    for code, detail in flags:
        record_event(
            case=case,
            type=EventType.FLAG_RAISED,
            actor=actor,
            payload={"code": code, "detail": detail},
        )
    if case.duplicate_of is not None:
        record_event(
            case=case,
            type=EventType.DUPLICATE_LINKED,
            actor=actor,
            payload={"duplicate_of": case.duplicate_of.reference},
        )
    if suggestion is not None:
        record_event(
            case=case,
            type=EventType.SUB_CAUSE_SET,
            actor=actor,
            payload={"suggested": suggestion.sub_cause, "evidence": suggestion.evidence},
        )
    if case.assignee is not None:
        record_event(
            case=case,
            type=EventType.ASSIGNED,
            actor=actor,
            payload={"assignee": case.assignee.get_username(), "how": "round_robin"},
        )
