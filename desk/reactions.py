"""How the desk's inbox follows what happens to cases and refunds (`settings.DOMAIN_EVENT_
SUBSCRIBERS`). Each subscriber runs inside the publishing service's transaction and inserts the
notifications of its event in one statement; the event's key makes a second delivery a no-op.

Nobody is told of their own action, and nobody is told of a case they may not see."""

from django.contrib.auth import get_user_model

from cases.domain_events import CaseAssigned, NoteAdded, ThresholdsFired
from cases.models import Case
from desk import policy
from desk.choices import NotificationKind
from desk.mentions import mentioned_usernames
from desk.services import Note, notifications_add
from refunds.events import Approved, Rejected
from sla.policy import RISK_THRESHOLDS


def _username(actor) -> str:
    return actor.get_username() if getattr(actor, "is_authenticated", False) else ""


def case_assigned(event: CaseAssigned) -> None:
    user = policy.users_by_pk([event.assignee.pk]).get(event.assignee.pk)
    if not policy.may_be_told(user, event.case, actor=event.actor):
        return
    notifications_add(
        notes=[
            Note(
                recipient_id=user.pk,
                kind=NotificationKind.ASSIGNED,
                case_id=event.case.pk,
                key=f"assigned:{event.timeline.pk}",
                params={"actor": _username(event.actor)},
            )
        ]
    )


def note_added(event: NoteAdded) -> None:
    names = mentioned_usernames(event.message.body)
    if not names:
        return
    users = policy.with_scope(get_user_model().objects.filter(username__in=names))
    notifications_add(
        notes=[
            Note(
                recipient_id=user.pk,
                kind=NotificationKind.MENTIONED,
                case_id=event.case.pk,
                key=f"mentioned:{event.message.pk}",
                params={"actor": _username(event.actor), "message": event.message.pk},
            )
            for user in users
            if policy.may_be_told(user, event.case, actor=event.actor)
        ]
    )


def refund_decided(event: Approved | Rejected) -> None:
    """The requester is told once per approval round, whichever way it went."""
    refund = event.refund
    user = policy.users_by_pk([refund.requester_id]).get(refund.requester_id)
    if not policy.may_be_told(user, event.case, actor=event.actor):
        return
    decision = "approved" if isinstance(event, Approved) else "rejected"
    notifications_add(
        notes=[
            Note(
                recipient_id=user.pk,
                kind=NotificationKind.REFUND_DECIDED,
                case_id=event.case.pk,
                key=f"refund:{refund.pk}:round-{refund.approval_round}",
                params={
                    "actor": _username(event.actor),
                    "decision": decision,
                    "amount": f"{refund.amount:.2f}",
                    "currency": refund.currency,
                    "refund": refund.pk,
                },
            )
        ]
    )


def thresholds_fired(event: ThresholdsFired) -> None:
    """The at-risk warnings (`sla.policy.RISK_THRESHOLDS`) of a sweep batch, to each case's
    assignee as the case is now (the batch may have moved it): three queries per batch."""
    risky = [(clock, code) for clock, code in event.fired if code in RISK_THRESHOLDS]
    if not risky:
        return
    cases = {
        case.pk: case
        for case in Case.objects.filter(
            pk__in={clock.case_id for clock, _ in risky}, assignee__isnull=False
        ).only("pk", "queue_id", "assignee_id", "reference")
    }
    users = policy.users_by_pk(case.assignee_id for case in cases.values())
    notes = []
    for clock, code in risky:
        case = cases.get(clock.case_id)
        user = users.get(case.assignee_id) if case else None
        if not policy.may_be_told(user, case):
            continue
        notes.append(
            Note(
                recipient_id=user.pk,
                kind=NotificationKind.AT_RISK,
                case_id=case.pk,
                key=f"at_risk:{clock.pk}:{code}",
                params={"metric": clock.metric, "threshold": code},
            )
        )
    notifications_add(notes=notes)
