"""Which events tell the customer (`settings.DOMAIN_EVENT_SUBSCRIBERS`).

Each function is a subscriber of one of `cases.domain_events`: it runs inside the publishing
service's transaction, so the outbox row commits or rolls back with the change that caused it, and
the send task is published on commit (`services.send_when_due`).
"""

from cases.domain_events import AgentReplied, CaseOpened, CaseResolved, DeadlineExtended
from notifications import services


def case_opened(event: CaseOpened) -> None:
    """The acknowledgement (the case is new in this transaction: see `services.notify`)."""
    services.notify_case_received(event.case, event.actor, opened_now=True, clocks=event.clocks)


def case_resolved(event: CaseResolved) -> None:
    services.notify_case_resolved(event.case, event.actor)


def agent_replied(event: AgentReplied) -> None:
    services.notify_reply(event.case, event.message, event.actor)


def deadline_extended(event: DeadlineExtended) -> None:
    services.notify_deadline_extended(event.case, event.clock, event.reason, event.actor)
