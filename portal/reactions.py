"""How the customer's side follows the case (`settings.DOMAIN_EVENT_SUBSCRIBERS`): a resolved
cycle is offered its satisfaction survey, and a low score opens a follow-up that the queue's
supervisors are told of in their desk inbox. Both run in the publisher's transaction."""

from django.contrib.auth import get_user_model

from backoffice.roles import Role
from cases.domain_events import CaseResolved
from desk import policy as desk_policy
from desk.choices import NotificationKind
from desk.services import Note, notifications_add
from portal import surveys
from portal.events import SatisfactionAnswered


def case_resolved(event: CaseResolved) -> None:
    surveys.survey_offer(case=event.case, at=event.at)


def satisfaction_answered(event: SatisfactionAnswered) -> None:
    survey = event.survey
    if not surveys.follow_up_open(survey=survey, actor=event.actor):
        return
    supervisors = desk_policy.with_scope(
        get_user_model()
        .objects.filter(groups__name=Role.SUPERVISOR, queue_memberships__queue_id=survey.queue_id)
        .distinct()
        .order_by("pk")
    )
    notifications_add(
        notes=[
            Note(
                recipient_id=user.pk,
                kind=NotificationKind.CSAT_LOW,
                case_id=event.case.pk,
                key=f"csat_low:{survey.pk}",
                params={"score": survey.score, "cycle": survey.cycle, "survey": survey.pk},
            )
            for user in supervisors
        ]
    )
