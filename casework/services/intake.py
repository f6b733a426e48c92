"""Opening a case: customer, order, risk flags, duplicate link, routing and the risk rules' actions,
reference, assignment, events."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
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
    CreditAccountSnapshot,
    QueueMembership,
)
from cases.references import case_insert_numbered
from cases.triage import suggest_sub_cause
from casework.services.contacts import shown_changes
from casework.services.customers import LOOK_UP, CustomerData, _customer_upsert
from casework.services.orders import READ_HERE, OrderData, recharge_order_upsert
from casework.services.routing import route_case
from risk import engine as risk
from sla.models import SlaClock
from sla.services import clocks_plan_for_case, clocks_start_planned


@dataclass(frozen=True)
class CreditAccountData:
    limit: Decimal
    available: Decimal
    frozen: bool = False
    overdue_days: int = 0
    recent_login_failures: int = 0


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
    order_found=READ_HERE,
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
            order, _created = recharge_order_upsert(
                data=recharge_order, customer=cust, actor=actor, found=order_found
            )
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
