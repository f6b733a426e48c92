"""Routing: the first enabled rule (by position) that matches decides queue and priority."""

from dataclasses import dataclass
from decimal import Decimal

from backoffice.cache import cached
from cases.choices import Category, Channel, FlagCode, Priority
from cases.models import Queue, RoutingRule

DEFAULT_PRIORITY = {
    Category.RECHARGE_NOT_CREDITED: Priority.P1,
    Category.RECHARGE_DUPLICATE_CHARGE: Priority.P1,
    Category.RECHARGE_WRONG_NUMBER: Priority.P2,
    Category.RECHARGE_WRONG_CARRIER: Priority.P2,
    Category.CREDIT_LIMIT_UNUSABLE: Priority.P2,
    Category.RECHARGE_WRONG_AMOUNT: Priority.P3,
    Category.OTHER: Priority.P3,
}
# Flags that make a case urgent whatever its category (SLA.md: suspected fraud, regulator referral).
URGENT_FLAGS = {FlagCode.REGULATOR_REFERRAL, FlagCode.IP_FAILURE_BURST}


@dataclass(frozen=True)
class Route:
    queue: Queue
    priority: str
    rule: RoutingRule | None


def default_priority(*, category: str, channel: str, flags: set[str]) -> str:
    if channel == Channel.REGULATOR or flags & URGENT_FLAGS:
        return Priority.P1
    return DEFAULT_PRIORITY.get(category, Priority.P3)


def rule_matches(rule: RoutingRule, *, category, channel, amount: Decimal | None, flags) -> bool:
    if rule.category and rule.category != category:
        return False
    if rule.channel and rule.channel != channel:
        return False
    if rule.min_amount is not None and (amount is None or amount < rule.min_amount):
        return False
    if rule.max_amount is not None and (amount is None or amount >= rule.max_amount):
        return False
    return not (rule.flag and rule.flag not in flags)


def _rules() -> list[RoutingRule]:
    return cached(
        "routing.rules",
        lambda: list(RoutingRule.objects.filter(enabled=True).select_related("queue")),
    )


def route_case(*, category: str, channel: str, amount: Decimal | None, flags: set[str]) -> Route:
    priority = default_priority(category=category, channel=channel, flags=flags)
    for rule in _rules():
        if rule_matches(rule, category=category, channel=channel, amount=amount, flags=flags):
            return Route(queue=rule.queue, priority=rule.priority or priority, rule=rule)
    queue = cached(
        "routing.default_queue",
        lambda: (
            Queue.objects.filter(is_default=True).first() or Queue.objects.order_by("id").first()
        ),
    )
    if queue is None:
        raise RuntimeError(
            "No queue exists: create one in the admin (the seed migration makes some)."
        )
    return Route(queue=queue, priority=priority, rule=None)
