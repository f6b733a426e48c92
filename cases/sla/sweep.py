"""The periodic sweep: clocks whose next threshold has passed get their warn/breach events and
escalations, once each, found through the partial index on `next_threshold_at`.

Two sweeps at once are safe: each clock is handled in its own transaction under a row lock taken
with SKIP LOCKED, and re-checked under that lock, so a threshold fires exactly once.
"""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from cases.sla import escalation
from cases.sla.models import SlaClock
from cases.sla.services import _schedule, _times, due_filter, fire_threshold, refresh_next_due

logger = logging.getLogger(__name__)


BATCH = 100


def _process(clock: SlaClock, now: datetime, rules: escalation.Rules) -> list[str]:
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
    clock.save()
    if clock.state != "active":
        refresh_next_due(clock.case)
    for code in fired_now:
        escalation.run(clock=clock, threshold=code, rules=rules)
    return fired_now


def sla_sweep(*, now: datetime | None = None, limit: int = 2000) -> int:
    """Handle every clock whose next threshold is due; returns how many thresholds fired."""
    now = now or timezone.now()
    due_ids = list(
        SlaClock.objects.filter(due_filter(now))
        .order_by("next_threshold_at")
        .values_list("pk", flat=True)[:limit]
    )
    rules = escalation.Rules()
    fired = 0
    for start in range(0, len(due_ids), BATCH):
        # One transaction per batch; clocks another sweep holds are skipped, and each clock is
        # re-checked under its lock, so a threshold fires once however many sweeps run.
        with transaction.atomic():
            clocks = (
                SlaClock.objects.select_for_update(no_key=True, skip_locked=True, of=("self",))
                .select_related("case", "case__queue", "case__assignee", "calendar", "policy")
                .filter(due_filter(now), pk__in=due_ids[start : start + BATCH])
                .order_by("pk")
            )
            for clock in clocks:
                fired += len(_process(clock, now, rules))
    if fired:
        logger.info("sla sweep: %d thresholds fired on %d clocks", fired, len(due_ids))
    return fired
