"""What happens to a case (and to the recharge orders it rests on) that other domains react to.

Published by the services that make the change (`casework.services`, `risk.services`) with
`backoffice.domain_events.publish`, inside their transaction; the reactions (`sla.reactions`,
`notifications.reactions`, `risk.reactions`) are listed in `settings.DOMAIN_EVENT_SUBSCRIBERS`.
The events live here, in the case records, because every app that publishes or reacts to them
may import `cases`.

Not to be confused with `cases.events`, the timeline: rows written for people to read. These are
in-process messages between services; they are not stored.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backoffice.domain_events import DomainEvent
from cases.models import Case, Message, RechargeOrder


@dataclass(frozen=True, kw_only=True)
class _OfCase:
    """What every case event carries: the case, and who acted (None: a system, the sweep)."""

    case: Case
    actor: Any = None


@dataclass(frozen=True, kw_only=True)
class CaseOpened(_OfCase, DomainEvent):
    """Intake inserted `case` in this transaction and started its clocks (`clocks`: those
    `sla.models.SlaClock` rows, so that a reaction need not read them back)."""

    name = "case.opened"
    clocks: tuple[Any, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CaseStatusChanged(_OfCase, DomainEvent):
    """`case.status` was changed from `previous` at `at` and saved (a transition, a customer
    message that resumes or reopens the case, a merge). A change to resolved is `CaseResolved`.

    The moves from new to in progress made by a claim, an assignment or a first reply publish
    nothing: no clock pauses or resumes there, and nothing else reacts to them."""

    name = "case.status_changed"
    previous: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class CaseResolved(CaseStatusChanged):
    """`case` was resolved (by a transition or through its incident): a status change too."""

    name = "case.resolved"


@dataclass(frozen=True, kw_only=True)
class CasePriorityChanged(_OfCase, DomainEvent):
    """`case.priority` was changed from `previous` and saved (a supervisor, a risk rule)."""

    name = "case.priority_changed"
    previous: str


@dataclass(frozen=True, kw_only=True)
class CaseAssigned(_OfCase, DomainEvent):
    """`case` was assigned to `assignee` by `actor` (a supervisor, or the assignee taking it
    through the assign form); `timeline` is the `assigned` timeline event the change wrote. A
    claim publishes nothing: the claimer is the actor."""

    name = "case.assigned"
    assignee: Any
    timeline: Any


@dataclass(frozen=True, kw_only=True)
class NoteAdded(_OfCase, DomainEvent):
    """An internal note (never shown to the customer) was added to `case`."""

    name = "case.note_added"
    message: Message


@dataclass(frozen=True, kw_only=True)
class ThresholdsFired(DomainEvent):
    """The SLA sweep fired warning or breach thresholds on a batch of clocks: `fired` holds
    (`sla.models.SlaClock`, threshold code) pairs, the clocks read with their case, queue and
    assignee. One event per batch, so that a reaction writes the batch in one statement."""

    name = "sla.thresholds_fired"
    fired: tuple[tuple[Any, str], ...]


@dataclass(frozen=True, kw_only=True)
class AgentReplied(_OfCase, DomainEvent):
    """A public reply to the customer (not an internal note) was added to `case`."""

    name = "case.agent_replied"
    message: Message


@dataclass(frozen=True, kw_only=True)
class CustomerMessaged(_OfCase, DomainEvent):
    """A message from the customer was added to `case` (after its status change, if any)."""

    name = "case.customer_messaged"
    message: Message


@dataclass(frozen=True, kw_only=True)
class DeadlineExtended(_OfCase, DomainEvent):
    """The regulatory clock of `case` was extended one step (`clock`: the `sla.models.SlaClock`,
    already saved with its new due time and level), for `reason`, which the customer is told."""

    name = "case.deadline_extended"
    clock: Any
    reason: str


@dataclass(frozen=True, kw_only=True)
class OrdersReceived(DomainEvent):
    """Recharge orders were inserted or updated (the feed, or the order a complaint brings)."""

    name = "orders.received"
    orders: tuple[RechargeOrder, ...]
    actor: Any = None
