"""Opening a case: customer, order, risk flags, duplicate link, routing and the risk rules' actions,
reference, assignment, events."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from backoffice.errors import Invalid
from cases.choices import (
    RECHARGE_CATEGORIES,
    AssignmentMode,
    Category,
    Channel,
    EventType,
    FlagCode,
    Status,
)
from cases.events import audit_case, record_event
from cases.models import Case, CaseFlag, CreditAccountSnapshot, Customer, QueueMembership
from cases.notifications.services import notify_case_received
from cases.phones import InvalidPhone, normalize_phone
from cases.risk import engine as risk
from cases.services.orders import OrderData, recharge_order_upsert
from cases.services.references import next_reference
from cases.services.routing import route_case
from cases.sla.services import clocks_start_for_case
from cases.triage import suggest_sub_cause


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


def customer_upsert(*, data: CustomerData) -> Customer:
    """The customer with this external id, created or updated with the non-empty fields given."""
    external_id = (data.external_id or "").strip()
    if not external_id:
        raise Invalid({"customer": {"external_id": ["This field is required."]}})
    fields = {"name": data.name, "email": data.email, "language": data.language}
    if data.phone:
        try:
            fields["phone"] = normalize_phone(data.phone)
        except InvalidPhone as exc:
            raise Invalid({"customer": {"phone": [str(exc)]}}) from exc
    fields = {k: v for k, v in fields.items() if v}
    customer, created = Customer.objects.get_or_create(external_id=external_id, defaults=fields)
    if not created:
        changed = [k for k, v in fields.items() if getattr(customer, k) != v]
        if changed:
            for name in changed:
                setattr(customer, name, fields[name])
            customer.save(update_fields=[*changed, "updated_at"])
    return customer


def _flags_at_intake(*, category, order, duplicate_of, signals) -> list[tuple[str, str]]:
    """The risk rules' flags (`cases.risk.engine`) and the two bookkeeping ones."""
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


@transaction.atomic
def case_open(
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
) -> Case:
    _validate_choices(channel=channel, category=category)
    received_at = received_at or timezone.now()
    if timezone.is_naive(received_at):
        raise Invalid({"received_at": ["Give a time zone offset, e.g. 2026-09-30T10:00:00+08:00."]})
    cust = customer_upsert(data=customer)
    order = None
    if recharge_order is not None:
        try:
            order, _ = recharge_order_upsert(data=recharge_order, customer=cust, actor=actor)
        except Invalid as exc:
            raise Invalid({"recharge_order": exc.errors}) from exc
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
    case = Case.objects.create(
        reference=next_reference(),
        customer=cust,
        recharge_order=order,
        channel=channel,
        category=category,
        priority=outcome.priority,
        status=Status.NEW,
        queue=outcome.queue,
        subject=subject,
        description=description,
        received_at=received_at,
        duplicate_of=duplicate_of,
        suggested_sub_cause=suggestion.sub_cause if suggestion else "",
    )
    if credit_account is not None:
        CreditAccountSnapshot.objects.create(case=case, **credit_account.__dict__)
    CaseFlag.objects.bulk_create([CaseFlag(case=case, code=c, detail=d) for c, d in flags])
    record_event(
        case=case,
        type=EventType.OPENED,
        actor=actor,
        payload={
            "channel": channel,
            "category": category,
            "received_at": received_at.isoformat(),
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
    if duplicate_of is not None:
        record_event(
            case=case,
            type=EventType.DUPLICATE_LINKED,
            actor=actor,
            payload={"duplicate_of": duplicate_of.reference},
        )
    if suggestion is not None:
        record_event(
            case=case,
            type=EventType.SUB_CAUSE_SET,
            actor=actor,
            payload={"suggested": suggestion.sub_cause, "evidence": suggestion.evidence},
        )
    if outcome.queue.assignment_mode == AssignmentMode.ROUND_ROBIN:
        member = _round_robin_member(outcome.queue)
        if member is not None:
            Case.objects.filter(pk=case.pk).update(assignee=member)
            case.assignee = member
            record_event(
                case=case,
                type=EventType.ASSIGNED,
                actor=actor,
                payload={"assignee": member.get_username(), "how": "round_robin"},
            )
    clocks_start_for_case(case=case, actor=actor)
    notify_case_received(case, actor)
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
    return case
