"""Risk writes: flags and their actions on cases, the IP watch list, and clearing it.

`risk_orders_received` reacts to `orders.received` (`risk.reactions`) inside the recharge-order
feed's transaction (and the intake's, for the order a complaint brings); `risk_ip_clear` is the
supervisor's action. A raised priority is published (`case.priority_changed`): the clocks follow.
"""

import ipaddress
import logging
import zlib
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.audit.services import audit_record
from backoffice.domain_events import publish
from backoffice.errors import Conflict, Invalid, NotFound
from backoffice.held_rows import held_rows_flush
from backoffice.roles import Role, has_role
from cases import permissions
from cases.choices import OPEN_STATUSES, EventType, FlagCode, OrderStatus
from cases.domain_events import CasePriorityChanged
from cases.events import record_event
from cases.models import Case, CaseFlag, RechargeOrder
from risk import engine
from risk.choices import RuleAction, RuleCode, WatchStatus
from risk.models import FlaggedIp, RiskRule

logger = logging.getLogger(__name__)
IP_LOCK_CLASS = 0x7269736B  # "risk": advisory locks (class, crc32 of the IP) per client IP


# --- a flag and its rule's action on an existing case -----------------------------------------------


def _raise_priority(*, case: Case, rule: RiskRule, actor) -> dict | None:
    new = engine.raised(case.priority)
    if new == case.priority:
        return None
    previous = case.priority
    payload = {"from": previous, "to": new, "reason": f"risk rule {rule.code}"}
    case.priority = new
    case.save(update_fields=["priority", "updated_at"])
    record_event(case=case, type=EventType.PRIORITY_CHANGED, actor=actor, payload=payload)
    publish(CasePriorityChanged(case=case, previous=previous, actor=actor))
    return {"priority": [payload["from"], new]}


def _route_to_queue(*, case: Case, rule: RiskRule, actor) -> dict | None:
    if rule.queue_id is None or case.queue_id == rule.queue_id:
        return None
    previous = case.queue.code
    case.queue = rule.queue
    case.save(update_fields=["queue", "updated_at"])
    record_event(
        case=case,
        type=EventType.ROUTED,
        actor=actor,
        payload={"queue": rule.queue.code, "priority": case.priority, "rule": f"risk:{rule.code}"},
    )
    return {"queue": [previous, rule.queue.code]}


ACTIONS = {RuleAction.RAISE_PRIORITY: _raise_priority, RuleAction.ROUTE_TO_QUEUE: _route_to_queue}


def flag_case(*, case: Case, rule: RiskRule, detail: str, actor) -> dict:
    """Raise the rule's flag on a locked open case that does not carry it yet, then its action."""
    CaseFlag.objects.create(case=case, code=rule.code, detail=detail[:500])
    record_event(
        case=case,
        type=EventType.FLAG_RAISED,
        actor=actor,
        payload={"code": rule.code, "detail": detail},
    )
    action = ACTIONS.get(rule.action)
    applied = action(case=case, rule=rule, actor=actor) if action else None
    return {"case": case.reference, **(applied or {})}


# --- the feed: bursts of failed top-ups from one IP ----------------------------------------------


def _serialize(ips: list[str]) -> None:
    """One feed at a time per IP, to the end of its transaction (PostgreSQL): the second one counts
    after the first has committed, so two halves of a burst posted at once are seen together."""
    if connection.vendor != "postgresql":
        return  # SQLite runs one writing transaction at a time anyway
    keys = sorted({zlib.crc32(ip.encode()) - 2**31 for ip in ips})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, k) FROM unnest(%s::int[]) AS k ORDER BY k",
            [IP_LOCK_CLASS, keys],
        )


def _locked_entries(ips: list[str]) -> dict[str, FlaggedIp]:
    return {
        engine.ip_key(e.ip): e
        for e in FlaggedIp.objects.select_for_update(no_key=True).filter(ip__in=ips).order_by("ip")
    }


WATCH_FIELDS = ("status", "first_seen", "last_seen", "failures", "burst_from", "burst_to")


def _watch(entry: FlaggedIp | None, burst: engine.Burst) -> tuple[FlaggedIp, bool]:
    """Put the IP on the watch list (again), or widen its entry with the new burst; (entry, changed)."""
    latest, first = burst.latest, burst.spans[0].start
    if entry is None:
        entry = FlaggedIp(ip=burst.ip, first_seen=first, last_seen=latest.end)
    before = None if entry.pk is None else [getattr(entry, f) for f in WATCH_FIELDS]
    if entry.status == WatchStatus.CLEARED:
        entry.status, entry.cleared_at, entry.cleared_by, entry.clear_reason = (
            WatchStatus.ACTIVE,
            None,
            None,
            "",
        )
    entry.first_seen = min(entry.first_seen, first)
    if entry.pk is None or latest.end >= entry.burst_to:
        entry.failures, entry.burst_from, entry.burst_to = latest.failures, latest.start, latest.end
    entry.last_seen = max(entry.last_seen, latest.end)
    if before == [getattr(entry, f) for f in WATCH_FIELDS]:
        return entry, False
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:  # another feed put it on the list a moment ago
        return _watch(FlaggedIp.objects.select_for_update(no_key=True).get(ip=burst.ip), burst)
    return entry, True


def _cases_in_bursts(bursts: list[engine.Burst]) -> dict[int, tuple[engine.Burst, str]]:
    """Open cases whose order came from a burst IP within a burst span → (burst, flag detail)."""
    spans = {b.ip: b.spans for b in bursts}
    rows = engine.open_cases_in_query(
        [(ip, span.start, span.end) for ip, ip_spans in spans.items() for span in ip_spans]
    )
    found = {}
    by_ip = {b.ip: b for b in bursts}
    for pk, ip, placed_at in rows:
        ip = engine.ip_key(ip)
        span = next(s for s in spans[ip] if s.start <= placed_at <= s.end)
        found[pk] = (by_ip[ip], engine.burst_detail(ip, span))
    return found


def risk_orders_received(*, actor, orders: list[RechargeOrder]) -> list[engine.Burst]:
    """Feed rule: failures from one IP at or over the threshold within the window put the IP on the
    watch list and flag every open case whose order came from it in the burst."""
    rule = engine.enabled_rules().get(RuleCode.IP_FAILURE_BURST)
    ips = sorted(
        {
            engine.ip_key(o.client_ip)
            for o in orders
            if o.client_ip and o.status == OrderStatus.FAILED
        }
    )
    if rule is None or not ips:
        return []
    _serialize(ips)
    bursts = engine.find_bursts(orders, rule)
    if not bursts:
        return []  # the common case: no watch-list read needed (a cutoff only removes failures)
    entries = _locked_entries([b.ip for b in bursts])
    after = {ip: e.burst_to for ip, e in entries.items() if e.status == WatchStatus.CLEARED}
    if after:  # cleared IPs: only failures after the cleared burst count
        bursts = engine.find_bursts(orders, rule, after=after)
        if not bursts:
            return []
    changed = set()
    for burst in bursts:
        entries[burst.ip], watched = _watch(entries.get(burst.ip), burst)
        if watched:
            changed.add(burst.ip)
    held_rows_flush()  # earlier cases of a bulk intake: their flags and clocks are read below
    hits = _cases_in_bursts(bursts)
    flagged: dict[str, list[dict]] = {b.ip: [] for b in bursts}
    cases = list(  # locked first, then checked: a concurrent feed's flags are seen
        Case.objects.select_for_update(no_key=True, of=("self",))
        .select_related("queue")
        .filter(pk__in=list(hits), status__in=OPEN_STATUSES)
        .order_by("pk")
    )
    carrying = set(
        CaseFlag.objects.filter(case__in=cases, code=FlagCode.IP_FAILURE_BURST).values_list(
            "case_id", flat=True
        )
    )
    for case in cases:
        if case.pk in carrying:
            continue
        burst, detail = hits[case.pk]
        flagged[burst.ip].append(flag_case(case=case, rule=rule, detail=detail, actor=actor))
    for burst in bursts:
        if burst.ip not in changed and not flagged[burst.ip]:
            continue  # the same burst again (a replayed feed): nothing happened
        entry = entries[burst.ip]
        audit_record(
            actor=actor,
            action="risk.ip_burst",
            object_type="cases.flaggedip",
            object_id=entry.ip,
            payload={
                "failures": entry.failures,
                "from": entry.burst_from,
                "to": entry.burst_to,
                "cases": flagged[burst.ip],
            },
        )
    logger.info(
        "risk: %d IPs in a failure burst, %d cases flagged",
        len(bursts),
        sum(len(v) for v in flagged.values()),
    )
    return bursts


# --- the supervisor's action ---------------------------------------------------------------------


def linked_open_flags(ip: str):
    """The active `ip_failure_burst` flags of open cases whose order came from this IP."""
    return CaseFlag.objects.filter(
        code=FlagCode.IP_FAILURE_BURST,
        cleared_at__isnull=True,
        case__status__in=OPEN_STATUSES,
        case__recharge_order__client_ip=ip,
    )


@transaction.atomic
def risk_ip_clear(*, actor, ip: str, reason: str) -> FlaggedIp:
    """Supervisor: take an IP off the watch list and clear the burst flags of its open cases."""
    permissions.require(
        has_role(actor, Role.SUPERVISOR),
        _("Only a supervisor can clear an IP from the watch list."),
    )
    reason = (reason or "").strip()
    if not reason:
        raise Invalid({"reason": [_("Say why this IP is cleared (e.g. a company network).")]})
    if len(reason) > 500:
        raise Invalid({"reason": [_("At most 500 characters.")]})
    entry = _entry_for_update(ip)
    if entry.status == WatchStatus.CLEARED:
        raise Conflict(_("%(ip)s was already cleared.") % {"ip": entry.ip}, code="already_cleared")
    now = timezone.now()
    entry.status, entry.cleared_at, entry.cleared_by, entry.clear_reason = (
        WatchStatus.CLEARED,
        now,
        actor,
        reason,
    )
    entry.save()
    cleared = _clear_flags(entry.ip, actor=actor, reason=reason, at=now)
    audit_record(
        actor=actor,
        action="risk.ip_clear",
        object_type="cases.flaggedip",
        object_id=entry.ip,
        payload={"reason": reason, "cases": cleared},
    )
    return entry


def _entry_for_update(ip: str) -> FlaggedIp:
    raw = (ip or "").strip()
    try:
        key = str(ipaddress.ip_address(raw))
    except ValueError:
        raise NotFound(_("%(ip)s is not an IP address on the watch list.") % {"ip": raw}) from None
    entry = FlaggedIp.objects.select_for_update(no_key=True).filter(ip=key).first()
    if entry is None:
        raise NotFound(_("%(ip)s is not on the watch list.") % {"ip": key})
    return entry


def _clear_flags(ip: str, *, actor, reason: str, at: datetime) -> list[str]:
    flag_ids = list(linked_open_flags(ip).order_by("case_id").values_list("pk", flat=True))
    flags = (
        CaseFlag.objects.select_for_update(no_key=True, of=("self",))
        .filter(pk__in=flag_ids, cleared_at__isnull=True)
        .select_related("case")
        .order_by("case_id")
    )
    cleared = []
    for flag in flags:
        flag.cleared_at, flag.cleared_by, flag.clear_reason = at, actor, reason
        flag.save(update_fields=["cleared_at", "cleared_by", "clear_reason"])
        record_event(
            case=flag.case,
            type=EventType.FLAG_CLEARED,
            actor=actor,
            payload={"code": flag.code, "reason": reason, "ip": ip},
        )
        cleared.append(flag.case.reference)
    return cleared


__all__ = ["linked_open_flags", "risk_ip_clear", "risk_orders_received"]
