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
