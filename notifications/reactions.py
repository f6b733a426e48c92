"""Which events tell the customer (`settings.DOMAIN_EVENT_SUBSCRIBERS`).

Each function is a subscriber of one of `cases.domain_events`: it runs inside the publishing
service's transaction, so the outbox row commits or rolls back with the change that caused it, and
the send task is published on commit (`services.send_when_due`).
"""

from cases.choices import Status
from cases.domain_events import (
    AgentReplied,
    CaseOpened,
    CaseResolved,
    CaseStatusChanged,
    DeadlineExtended,
)
from notifications import services
from notifications.models import Purpose


def case_opened(event: CaseOpened) -> None:
    """The acknowledgement (the case is new in this transaction: see `services.notify`); a case
    that follows an earlier one says so instead of the plain acknowledgement."""
    if event.case.follows_id is not None:
        services.notify_follow_up_opened(event.case, event.actor, clocks=event.clocks)
        return
    services.notify_case_received(event.case, event.actor, opened_now=True, clocks=event.clocks)


def case_status_changed(event: CaseStatusChanged) -> None:
    """A resolved case reopened (the customer wrote within the reopen window): the customer is
    told it is being handled again, with the new cycle's deadline."""
    if event.previous == Status.RESOLVED and event.case.status not in (
        Status.RESOLVED,
        Status.CLOSED,
    ):
        services.notify_case_reopened(event.case, event.actor)


def case_resolved(event: CaseResolved) -> None:
    services.notify_case_resolved(event.case, event.actor)


def agent_replied(event: AgentReplied) -> None:
    services.notify_reply(event.case, event.message, event.actor)


def deadline_extended(event: DeadlineExtended) -> None:
    services.notify_deadline_extended(event.case, event.clock, event.reason, event.actor)


# The refunds' events (`refunds.events`: Approved, Paid, Failed), read by their fields: refunds sits
# above this app. `event.subject` is the refund's own subject, which names the message.


def refund_approved(event) -> None:
    services.notify_refund(
        event.case, event.refund, Purpose.REFUND_APPROVED, event.actor, subject_key=event.subject
    )


def refund_paid(event) -> None:
    services.notify_refund(
        event.case, event.refund, Purpose.REFUND_PAID, event.actor, subject_key=event.subject
    )


def refund_failed(event) -> None:
    services.notify_refund(
        event.case, event.refund, Purpose.REFUND_FAILED, event.actor, subject_key=event.subject
    )
