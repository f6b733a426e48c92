"""The periodic sweep: clocks whose next threshold has passed get their warn/breach events and
escalations, once each, found through the partial index on `next_threshold_at`.

Two sweeps at once are safe: each batch of clocks is handled in one transaction under row locks
taken with SKIP LOCKED, and each clock is re-checked under its lock, so a threshold fires exactly
once.

A batch is written in a fixed number of statements whatever its size: the clocks' new schedules
in one `UPDATE`, the cases' `next_due_at` in one, the timeline events in one `INSERT`
(`events_batched`), the queue moves in two (`escalation.Moves`: one lock, one `UPDATE` per
destination queue). Escalations run after the clocks are written, so a rule that re-targets a
case's clocks reads them as the sweep left them.
"""

import logging
import time
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from backoffice.bulk import rows_update
from backoffice.domain_events import publish
from cases.domain_events import ThresholdsFired
from cases.events import events_batched
from sla import escalation
from sla.choices import Threshold
from sla.models import SlaClock
from sla.services import (
    _schedule,
    _times,
    cases_mark_breached,
    cases_next_due_refresh,
    due_filter,
    fire_threshold,
)

logger = logging.getLogger(__name__)


BATCH = 100

# What firing a threshold and rescheduling can change on a clock.
SWEPT_FIELDS = [
    "fired",
    "state",
    "breached_at",
    "due_at",
    "past_verified",
    "next_threshold",
    "next_threshold_at",
]


def _fire(clock: SlaClock, now: datetime) -> list[str]:
    """Fire (in memory, events held) every threshold of `clock` that has passed; reschedule it."""
    times = _times(clock)
    fired_now = []
    for code, at in times.thresholds:
        if code in clock.fired.split(","):
            continue
        if at > now:
            break
        fire_threshold(clock, code, at)
        fired_now.append(code)
    _schedule(clock, times)
    return fired_now


def _sweep_batch(ids: list[int], now: datetime, rules: escalation.Rules) -> int:
    clocks = list(
        SlaClock.objects.select_for_update(no_key=True, skip_locked=True, of=("self",))
        .select_related("case", "case__queue", "case__assignee", "calendar", "policy")
        .filter(due_filter(now), pk__in=ids)
        .order_by("pk")
    )
    if not clocks:
        return 0
    with events_batched():
        fired = [(clock, _fire(clock, now)) for clock in clocks]
        rows_update(clocks, SWEPT_FIELDS)
        cases_next_due_refresh({clock.case_id for clock in clocks if clock.state != "active"})
        cases_mark_breached({clock.case_id for clock, codes in fired if Threshold.BREACH in codes})
        moves = escalation.Moves()
        for clock, codes in fired:
            for code in codes:
                escalation.run(clock=clock, threshold=code, rules=rules, moves=moves)
        moves.apply()
    pairs = tuple((clock, code) for clock, codes in fired for code in codes)
    if pairs:
        publish(ThresholdsFired(fired=pairs))
    return sum(len(codes) for _, codes in fired)


def _sweep_round(now: datetime, limit: int) -> tuple[int, int]:
    """One round over at most `limit` due clocks: (thresholds fired, clocks found due)."""
    due_ids = list(
        SlaClock.objects.filter(due_filter(now))
        .order_by("next_threshold_at")
        .values_list("pk", flat=True)[:limit]
    )
    rules = escalation.Rules()
    fired = 0
    for start in range(0, len(due_ids), BATCH):
        # One transaction per batch; clocks another sweep holds are skipped.
        with transaction.atomic():
            fired += _sweep_batch(due_ids[start : start + BATCH], now, rules)
    if fired:
        logger.info("sla sweep: %d thresholds fired on %d clocks", fired, len(due_ids))
    return fired, len(due_ids)


def sla_sweep(*, now: datetime | None = None, limit: int = 2000) -> int:
    """Handle the (at most `limit`) clocks whose next threshold is due; returns how many
    thresholds fired."""
    return _sweep_round(now or timezone.now(), limit)[0]


def sla_sweep_until_done(*, budget_seconds: float = 45.0, limit: int = 2000) -> int:
    """The beat task's body: rounds of `limit` clocks until a round finds fewer than `limit` due
    or the budget is spent (the next beat goes on from there). Thresholds bunch up (every case
    received over a weekend starts at Monday 09:00, so tens of thousands of 50% warnings can fall
    due in one minute): one round a minute would deliver them an hour late."""
    deadline = time.monotonic() + budget_seconds
    fired = 0
    while True:
        fired_now, found = _sweep_round(timezone.now(), limit)
        fired += fired_now
        if found < limit or time.monotonic() >= deadline:
            return fired
