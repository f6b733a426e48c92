"""The risk engine: rules read from `RiskRule`, evaluated at intake and on the recharge-order feed.

Reads only; the writes (flags, watch list, actions) are in `risk.services`. Every query here
is an index range scan whose cost depends on the rows in its window, never on the table's size:
a customer's earlier orders on `(customer, placed_at)`, failures from an IP on
`(client_ip, placed_at)`, a customer's recent cases on `(customer, created_at)`, the watch list on
its unique IP.
"""

import ipaddress
import statistics
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from backoffice.cache import cached
from cases.choices import OPEN_STATUSES, Channel, OrderStatus, Priority
from cases.models import Case, RechargeOrder
from risk import sql
from risk.choices import SEVERITY_RANK, RuleAction, RuleCode
from risk.models import FlaggedIp, RiskRule
from risk.texts import (
    AMOUNT_EDITED,
    BURST,
    CARRIER,
    CEILING,
    MEDIAN,
    REGULATOR,
    REPEAT,
    WATCHED_IP,
    detail,
)

AMOUNT_HISTORY = 20  # the amount rule's median is over the customer's last (up to) 20 orders
REPEAT_EVIDENCE = 10  # the repeat rule names the customer's latest 10 cases in its window
RANGES_PER_QUERY = 100
RAISED = {Priority.P3: Priority.P2, Priority.P2: Priority.P1, Priority.P1: Priority.P1}
CACHE_KEY = "risk.rules"


def enabled_rules() -> dict[str, RiskRule]:
    """The enabled rules by code (cached per process like the other configuration)."""
    return cached(
        CACHE_KEY,
        lambda: {r.code: r for r in RiskRule.objects.filter(enabled=True).select_related("queue")},
    )


@dataclass(frozen=True)
class Signal:
    """A rule that hit: the flag it raises, with its evidence (`risk.texts`: the facts, put in
    words in the reader's language when shown)."""

    rule: RiskRule
    detail: str

    @property
    def code(self) -> str:
        return self.rule.code


def raised(priority: str) -> str:
    return RAISED.get(priority, priority)


def ip_key(value: str) -> str:
    """One spelling per address (PostgreSQL's `inet` and SQLite's text may differ for IPv6)."""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return value


# --- intake --------------------------------------------------------------------------------------


def intake_facts(*, customer, order, rules: dict[str, RiskRule]) -> dict:
    """What intake looks up row by row, in one statement: the customer's cases in the repeat
    window, the watch-list entry of the order's IP, and the duplicate check (an open case of the
    same customer and order). The amount history is a second statement (many rows)."""
    repeat = rules.get(RuleCode.REPEAT_COMPLAINANT)
    burst = rules.get(RuleCode.IP_FAILURE_BURST)
    since = timezone.now() - timedelta(minutes=repeat.window_minutes) if repeat else None
    facts = sql.intake_facts(
        customer_id=customer.pk,
        cases_since=since,
        watched_ip=order.client_ip if burst is not None and order is not None else None,
        order_id=order.pk if order is not None else None,
        references=REPEAT_EVIDENCE,
        amounts_before=(
            (order.placed_at, AMOUNT_HISTORY)
            if order is not None and _needs_history(rules.get(RuleCode.AMOUNT_ANOMALY))
            else None
        ),
    )
    return {**facts, "since": since}


def _needs_history(rule) -> bool:
    return rule is not None and rule.factor is not None and bool(rule.min_history)


def intake_signals(
    *, channel: str, customer, order: RechargeOrder | None, rules: dict[str, RiskRule], facts: dict
) -> list[Signal]:
    """The rules that hit a complaint being opened (its case does not exist yet)."""
    signals: list[Signal | None] = []
    rule = rules.get(RuleCode.REGULATOR_REFERRAL)
    if rule is not None and channel == Channel.REGULATOR:
        signals.append(Signal(rule, detail(REGULATOR)))
    if order is not None:
        signals.append(_carrier_mismatch(order, rules.get(RuleCode.CARRIER_MISMATCH)))
        signals.append(
            _amount_anomaly(order, rules.get(RuleCode.AMOUNT_ANOMALY), facts.get("earlier_amounts"))
        )
        signals.append(_amount_edited(order, rules.get(RuleCode.AMOUNT_EDITED)))
        signals.append(_watched_ip(facts.get("watched"), rules.get(RuleCode.IP_FAILURE_BURST)))
    signals.append(_repeat_complainant(customer, rules.get(RuleCode.REPEAT_COMPLAINANT), facts))
    return [s for s in signals if s is not None]


def _carrier_mismatch(order, rule) -> Signal | None:
    if rule is None or not order.carrier_mismatch:
        return None
    return Signal(
        rule,
        detail(CARRIER, declared=order.declared_carrier, looked_up=order.looked_up_carrier),
    )


def _amount_edited(order, rule) -> Signal | None:
    if rule is None or order.amount_edits is None or order.amount_edits <= rule.threshold:
        return None
    return Signal(rule, detail(AMOUNT_EDITED, edits=order.amount_edits, threshold=rule.threshold))


def earlier_amounts(order: RechargeOrder, limit: int = AMOUNT_HISTORY) -> list[Decimal]:
    """The amounts of the customer's last `limit` orders placed before this one (newest first)."""
    if order.customer_id is None:
        return []
    return sql.earlier_amounts(
        customer_id=order.customer_id, placed_at=order.placed_at, order_id=order.pk, limit=limit
    )


def _amount_anomaly(order, rule, history: list[Decimal] | None = None) -> Signal | None:
    """`history`: the customer's earlier amounts when the caller has read them (`intake_facts`)."""
    if rule is None:
        return None
    amount = order.amount_paid
    if rule.ceiling is not None and amount > rule.ceiling:
        return Signal(
            rule,
            detail(CEILING, amount=str(amount), currency=order.currency, ceiling=str(rule.ceiling)),
        )
    if rule.factor is None or not rule.min_history:
        return None
    if history is None:
        history = earlier_amounts(order)
    if len(history) < rule.min_history:
        return None
    median = Decimal(statistics.median(history)).quantize(Decimal("0.01"))
    if median <= 0 or amount <= rule.factor * median:
        return None
    return Signal(
        rule,
        detail(
            MEDIAN,
            amount=str(amount),
            currency=order.currency,
            ratio=f"{amount / median:.1f}",
            median=str(median),
            orders=len(history),
            factor=str(rule.factor),
        ),
    )


def _watched_ip(entry_id: int | None, rule) -> Signal | None:
    if rule is None or entry_id is None:
        return None
    entry = FlaggedIp.objects.get(pk=entry_id)
    return Signal(
        rule,
        detail(
            WATCHED_IP,
            ip=str(entry.ip),
            failures=entry.failures,
            start=entry.burst_from.isoformat(),
            end=entry.burst_to.isoformat(),
        ),
    )


def recent_cases_query(customer_id: int, since: datetime, limit: int):
    """References of the customer's cases created since `since`, newest first:
    `(customer, created_at)`."""
    return (
        Case.objects.filter(customer_id=customer_id, created_at__gte=since)
        .order_by("-created_at", "-id")
        .values_list("reference", flat=True)[:limit]
    )


def _repeat_complainant(customer, rule, facts: dict) -> Signal | None:
    if rule is None or facts.get("recent_cases", 0) + 1 < rule.threshold:  # this one included
        return None
    count = facts["recent_cases"] + 1
    earlier = facts.get("recent_references")
    if earlier is None:
        earlier = list(recent_cases_query(customer.pk, facts["since"], REPEAT_EVIDENCE))
    return Signal(
        rule,
        detail(
            REPEAT,
            count=count,
            window_minutes=rule.window_minutes,
            earlier=list(reversed(earlier)),
            more=count - 1 > len(earlier),
        ),
    )


@dataclass
class IntakeOutcome:
    queue: object
    priority: str
    applied: list[dict] = field(default_factory=list)


def intake_actions(*, queue, priority: str, signals: list[Signal]) -> IntakeOutcome:
    """The rules' actions on the routed queue and priority: each `raise_priority` hit raises one
    step; the most severe `route_to_queue` hit decides the queue."""
    outcome = IntakeOutcome(queue=queue, priority=priority)
    routed = False
    for signal in sorted(signals, key=lambda s: (-SEVERITY_RANK[s.rule.severity], s.code)):
        rule = signal.rule
        if (
            rule.action == RuleAction.RAISE_PRIORITY
            and raised(outcome.priority) != outcome.priority
        ):
            new = raised(outcome.priority)
            outcome.applied.append({"rule": rule.code, "priority": [outcome.priority, new]})
            outcome.priority = new
        elif rule.action == RuleAction.ROUTE_TO_QUEUE and rule.queue_id and not routed:
            routed = True
            if rule.queue_id != outcome.queue.pk:
                outcome.applied.append(
                    {"rule": rule.code, "queue": [outcome.queue.code, rule.queue.code]}
                )
                outcome.queue = rule.queue
    return outcome


# --- the recharge-order feed: bursts of failures from one IP ---------------------------------------


@dataclass(frozen=True)
class Window:
    start: datetime  # the first failure in it
    end: datetime  # the last failure in it
    failures: int


@dataclass(frozen=True)
class Burst:
    """An IP with at least `threshold` failures in some window of `window_minutes`."""

    ip: str
    spans: list[Window]  # the burst windows, overlapping ones merged (failures: in the span)
    latest: Window  # the latest single window at or over the threshold


def _merge(ranges: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[list[datetime]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def failure_times(spans: dict[str, list[tuple[datetime, datetime]]]) -> dict[str, list[datetime]]:
    """`placed_at` of the failed orders from each IP within its ranges, sorted (up to 100 ranges
    per query)."""
    pairs = [(ip, a, b) for ip, ranges in spans.items() for a, b in ranges]
    times: dict[str, list[datetime]] = defaultdict(list)
    for i in range(0, len(pairs), RANGES_PER_QUERY):
        for ip, placed_at in sql.failures(pairs[i : i + RANGES_PER_QUERY]):
            times[ip_key(ip)].append(placed_at)
    for value in times.values():
        value.sort()
    return times


def open_cases_in_query(spans: list[tuple[str, datetime, datetime]]):
    """(case, client_ip, placed_at) of the open cases whose order came from an IP within its span:
    `(client_ip, placed_at)` on the orders, then the case by its order."""
    condition = Q()
    for ip, start, end in spans:
        condition |= Q(
            recharge_order__client_ip=ip,
            recharge_order__placed_at__gte=start,
            recharge_order__placed_at__lte=end,
        )
    return (
        Case.objects.filter(condition, status__in=OPEN_STATUSES)
        .order_by()
        .values_list("pk", "recharge_order__client_ip", "recharge_order__placed_at")
    )


def find_bursts(
    orders: list[RechargeOrder], rule: RiskRule, *, after: dict[str, datetime] | None = None
) -> list[Burst]:
    """The IPs whose failed orders in this batch complete a burst.

    Every window of `window_minutes` (both ends included) that ends at a failure from the IP and
    contains a failure of the batch is counted: the windows ending at the batch's failures, and
    those ending at later failures that a late-arriving one joins. `after[ip]` ignores failures
    up to that time (the burst a supervisor cleared).
    """
    width = timedelta(minutes=rule.window_minutes)
    after = after or {}
    anchors: dict[str, set[datetime]] = defaultdict(set)
    for order in orders:
        if order.status == OrderStatus.FAILED and order.client_ip:
            cutoff = after.get(ip_key(order.client_ip))
            if cutoff is None or order.placed_at > cutoff:
                anchors[ip_key(order.client_ip)].add(order.placed_at)
    if not anchors:
        return []
    spans = {
        ip: _merge([(_minus(t, width), _plus(t, width)) for t in ts]) for ip, ts in anchors.items()
    }
    times = failure_times(spans)
    bursts = []
    for ip, ts in sorted(anchors.items()):
        cutoff = after.get(ip)
        found = [t for t in times.get(ip, []) if cutoff is None or t > cutoff]
        windows = _windows(found, sorted(ts), width, rule.threshold)
        if windows:
            bursts.append(_burst(ip, found, windows))
    return bursts


def _minus(moment: datetime, width) -> datetime:
    """`moment - width`, or the earliest instant for a moment near year 1 (an order's `paid_at`
    may be anything the intake sends: `0001-01-01` made this an OverflowError and the intake a
    500)."""
    try:
        return moment - width
    except OverflowError:
        return datetime.min.replace(tzinfo=UTC)


def _plus(moment: datetime, width) -> datetime:
    try:
        return moment + width
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC)


def _windows(found, anchors, width, threshold) -> list[Window]:
    windows = []
    for end in sorted(set(found)):
        i = bisect_left(anchors, _minus(end, width))
        if i == len(anchors) or anchors[i] > end:
            continue  # no failure of the batch in the window ending here: nothing new
        lo, hi = bisect_left(found, _minus(end, width)), bisect_right(found, end)
        if hi - lo >= threshold:
            windows.append(Window(found[lo], end, hi - lo))
    return windows


def _burst(ip: str, found: list[datetime], windows: list[Window]) -> Burst:
    spans = []
    for start, end in _merge([(w.start, w.end) for w in windows]):
        count = bisect_right(found, end) - bisect_left(found, start)
        spans.append(Window(start, end, count))
    return Burst(ip=ip, spans=spans, latest=max(windows, key=lambda w: (w.end, w.failures)))


def burst_detail(ip: str, span: Window) -> str:
    return detail(
        BURST, failures=span.failures, ip=ip, start=span.start.isoformat(), end=span.end.isoformat()
    )
