"""Rebuild a clock's state from its timeline events alone (the events are the clock's history): the
tests replay them to show that every clock change writes an event saying enough to rebuild it."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from backoffice.calendars.services import calendar_spec
from cases.models import CaseEvent
from sla import engine
from sla.choices import ClockState, Metric


@dataclass
class RebuiltClock:
    metric: str = ""
    cycle: int = 0
    amount: int = 0
    unit: str = ""
    started_at: datetime | None = None
    state: str = ClockState.ACTIVE
    paused_at: datetime | None = None
    paused_seconds: float = 0.0
    breached_at: datetime | None = None
    stopped_at: datetime | None = None
    extension_level: int = 0
    fired: list[str] = field(default_factory=list)
    due_at: datetime | None = None


def _at(payload, key="at"):
    return datetime.fromisoformat(payload[key])


def rebuild_clock(*, clock_id: int, calendar) -> RebuiltClock:
    """Replay the `sla` events of one clock; the due time is recomputed from the replayed facts."""
    c = RebuiltClock()
    events = CaseEvent.objects.filter(type="sla", payload__clock=clock_id).order_by(
        "created_at", "id"
    )
    for event in events:
        p = event.payload
        action = p["action"]
        if action == "start":
            c.metric, c.cycle, c.amount, c.unit = p["metric"], p["cycle"], p["amount"], p["unit"]
            c.started_at = _at(p, "started_at")
        elif action == "pause":
            c.state, c.paused_at = ClockState.PAUSED, _at(p)
        elif action == "resume":
            c.state, c.paused_at, c.paused_seconds = ClockState.ACTIVE, None, p["paused_seconds"]
        elif action in ("retarget", "extend"):
            c.amount = p["amount"]
            if action == "extend":
                c.extension_level, c.fired = p["level"], []
        elif action == "warn":
            c.fired.append(p["threshold"])
        elif action == "breach":
            c.state, c.breached_at = ClockState.BREACHED, _at(p, "breached_at")
            if "stopped_at" in p:  # stopped after the due time, before any sweep saw it
                c.stopped_at = _at(p, "stopped_at")
            else:  # the sweep crossed the threshold
                c.fired.append("breach")
        elif action in ("met", "cancel", "stop"):
            if action != "stop":
                c.state = ClockState.MET if action == "met" else ClockState.CANCELLED
            c.stopped_at = _at(p, "stopped_at")
    c.due_at = engine.compute(
        calendar_spec(calendar),
        unit=c.unit,
        amount=c.amount,
        started_at=c.started_at,
        paused=timedelta(seconds=c.paused_seconds),
        regulatory=c.metric == Metric.REGULATORY_DECISION,
    ).due_at
    return c
