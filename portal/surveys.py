"""The satisfaction survey's writes: offered when a cycle is resolved, answered by the customer,
and a low score's follow-up opened for the queue's supervisors and closed by one of them.

Keyword-only where staff act; `record_answer` keeps the positional shape the status page calls."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.domain_events import publish
from backoffice.errors import Conflict, Forbidden, Invalid
from cases.choices import EventType
from cases.events import audit_case, record_event
from portal import policy
from portal.events import SatisfactionAnswered
from portal.models import FollowUp, Satisfaction

COMMENT_MAX = 1000
NOTE_MAX = 2000


def survey_offer(*, case, at=None) -> Satisfaction:
    """The survey of the case's current cycle, offered at `at` (its resolution), with the queue,
    agent, category and root cause as they are now. A second call for the cycle (a second
    delivery of the event) returns the first survey unchanged."""
    existing = Satisfaction.objects.filter(case=case, cycle=case.cycle).first()
    if existing is not None:
        return existing
    survey = Satisfaction(
        case=case,
        cycle=case.cycle,
        queue_id=case.queue_id,
        agent_id=case.assignee_id,
        category=case.category,
        root_cause=case.root_cause or "",
        offered_at=at or timezone.now(),
    )
    with transaction.atomic():  # a savepoint: a raced second delivery leaves the first row
        Satisfaction.objects.bulk_create([survey], ignore_conflicts=True)
    return Satisfaction.objects.get(case=case, cycle=case.cycle)


def _score(score) -> int:
    if isinstance(score, bool):
        raise Invalid({"score": [_("Give a score from 1 to 5.")]})
    try:
        value = int(str(score).strip())
    except (TypeError, ValueError):
        raise Invalid({"score": [_("Give a score from 1 to 5.")]}) from None
    if not 1 <= value <= 5:
        raise Invalid({"score": [_("Give a score from 1 to 5.")]})
    return value


def _comment(comment) -> str:
    text = "" if comment is None else str(comment).strip()
    if len(text) > COMMENT_MAX:
        raise Invalid({"comment": [_("At most 1000 characters.")]})
    if "\x00" in text:
        raise Invalid({"comment": [_("The text contains a NUL character.")]})
    return text


@transaction.atomic
def record_answer(survey: Satisfaction, score, comment="", *, actor=None) -> Satisfaction:
    """The customer's answer: a score from 1 to 5 (else `Invalid` naming "score") and a comment
    of at most 1000 characters. Answered once: a second answer is a conflict. Writes the
    timeline event and publishes `SatisfactionAnswered` (the follow-up reacts to it)."""
    value, text = _score(score), _comment(comment)
    survey = Satisfaction.objects.select_for_update().select_related("case").get(pk=survey.pk)
    if survey.score is not None:
        raise Conflict(_("This survey has already been answered."), code="answered")
    survey.score, survey.comment, survey.answered_at = value, text, timezone.now()
    survey.save(update_fields=["score", "comment", "answered_at"])
    record_event(
        case=survey.case,
        type=EventType.SATISFACTION,
        actor=actor,
        payload={"survey": survey.pk, "cycle": survey.cycle, "score": value, "comment": text},
    )
    publish(SatisfactionAnswered(survey=survey, case=survey.case, actor=actor))
    return survey


def is_low(score: int | None) -> bool:
    return score is not None and score <= settings.CSAT_FOLLOW_UP_MAX_SCORE


def follow_up_open(*, survey: Satisfaction, actor=None) -> bool:
    """Open the follow-up of a low-scored survey (in the answer's transaction); False if it was
    opened before (a second delivery) or the score is not low."""
    if not is_low(survey.score):
        return False
    opened = Satisfaction.objects.filter(pk=survey.pk, follow_up=FollowUp.NONE).update(
        follow_up=FollowUp.OPEN
    )
    if not opened:
        return False
    survey.follow_up = FollowUp.OPEN
    record_event(
        case=survey.case,
        type=EventType.SATISFACTION,
        actor=actor,
        payload={"survey": survey.pk, "follow_up": FollowUp.OPEN, "score": survey.score},
    )
    return True


@transaction.atomic
def follow_up_close(*, actor, survey: Satisfaction, note: str) -> Satisfaction:
    """A supervisor of the survey's queue closes its open follow-up with a note (required)."""
    survey = Satisfaction.objects.select_for_update().select_related("case").get(pk=survey.pk)
    if not policy.may_close_follow_up(actor, survey):
        raise Forbidden(_("Only a supervisor of the queue may close this follow-up."))
    text = (note or "").strip()
    if not text:
        raise Invalid({"note": _("Say what was done in the follow-up.")})
    if len(text) > NOTE_MAX:
        raise Invalid({"note": _("At most 2000 characters.")})
    if survey.follow_up != FollowUp.OPEN:
        raise Conflict(_("This follow-up is not open."), code="not_open")
    survey.follow_up, survey.follow_up_by, survey.follow_up_at = (
        FollowUp.DONE,
        actor,
        timezone.now(),
    )
    survey.follow_up_note = text
    survey.save(update_fields=["follow_up", "follow_up_by", "follow_up_at", "follow_up_note"])
    record_event(
        case=survey.case,
        type=EventType.SATISFACTION,
        actor=actor,
        payload={"survey": survey.pk, "follow_up": FollowUp.DONE, "note": text},
    )
    audit_case(
        actor=actor,
        action="satisfaction.follow_up_closed",
        case=survey.case,
        payload={"survey": survey.pk, "cycle": survey.cycle},
    )
    return survey
