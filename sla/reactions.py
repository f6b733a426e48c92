"""How the SLA clocks follow what happens to a case (`settings.DOMAIN_EVENT_SUBSCRIBERS`).

Each function is a subscriber of one or more `cases.domain_events`: it runs inside the publishing
service's transaction and hands the event to `sla.services`.
"""

from cases.domain_events import (
    AgentReplied,
    CasePriorityChanged,
    CaseStatusChanged,
    CustomerMessaged,
)
from sla import services
from sla.choices import Metric


def case_status_changed(event: CaseStatusChanged) -> None:
    """Pause, resume, stop or start the clocks (also for `CaseResolved`)."""
    services.clocks_on_status(
        case=event.case, previous=event.previous, at=event.at, actor=event.actor
    )


def case_priority_changed(event: CasePriorityChanged) -> None:
    services.clocks_retarget(case=event.case, actor=event.actor)


def agent_replied(event: AgentReplied) -> None:
    services.clocks_on_reply(case=event.case, at=event.message.created_at, actor=event.actor)


def customer_messaged(event: CustomerMessaged) -> None:
    services.clocks_on_customer_message(
        case=event.case, at=event.message.created_at, actor=event.actor
    )


# The refunds' events (`refunds.events`), read by their fields: refunds sits above this app.
# `event.clock` is the subject of the refund's approval clock in its current round.


def refund_approval_asked(event) -> None:
    services.clock_start_metric(
        case=event.case,
        metric=Metric.REFUND_APPROVAL,
        actor=event.actor,
        at=event.at,
        subject=event.clock,
    )


def refund_decided(event) -> None:
    """Approved or rejected: the approval clock of its round stops (met or breached)."""
    services.clock_stop_subject(
        case=event.case, subject=event.clock, at=event.at, actor=event.actor
    )


def refund_cancelled(event) -> None:
    """Withdrawn before a decision: its approval clock is cancelled (a failed one has none left)."""
    if event.was_pending:
        services.clock_stop_subject(
            case=event.case, subject=event.clock, at=event.at, actor=event.actor, cancel=True
        )
