"""Issue 25: the satisfaction survey. Offered per resolved cycle with the case's queue, agent,
category and root cause as they were; answered once, 1–5 and a comment; a low score opens a
follow-up that the queue's supervisors (and nobody else) are told of, closed by one of them."""

import pytest
from django.test import override_settings

from backoffice.audit.models import AuditEntry
from backoffice.errors import Conflict, Forbidden, Invalid
from cases.choices import EventType, Status
from cases.models import CaseEvent
from casework.services import case_assign, case_transition
from desk.models import Notification as DeskNotification
from portal import surveys
from portal.models import Satisfaction
from tests.support.factories import open_case, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return staff("agent", "recharge", username="agent1")


@pytest.fixture
def resolved(agent):
    case = open_case(customer_id="U2001")
    case_assign(actor=agent, case=case, assignee_username=None)
    case_transition(actor=agent, case=case, to=Status.RESOLVED, root_cause="carrier_fault")
    case.refresh_from_db()
    return case


def test_resolution_offers_one_survey_with_the_snapshot(resolved, agent):
    survey = Satisfaction.objects.get(case=resolved)
    assert (survey.cycle, survey.queue.code, survey.agent_id) == (1, "recharge", agent.pk)
    assert (survey.category, survey.root_cause) == ("recharge_not_credited", "carrier_fault")
    assert survey.offered_at == resolved.resolved_at
    assert (survey.score, survey.follow_up) == (None, "")
    # a second delivery of the same resolution offers nothing more
    assert surveys.survey_offer(case=resolved).pk == survey.pk
    assert Satisfaction.objects.count() == 1


def test_each_resolved_cycle_has_its_own_survey(resolved, agent):
    case_transition(actor=agent, case=resolved, to=Status.IN_PROGRESS)
    case_transition(actor=agent, case=resolved, to=Status.RESOLVED, root_cause="user_error")
    rows = list(Satisfaction.objects.filter(case=resolved).order_by("cycle"))
    assert [(s.cycle, s.root_cause) for s in rows] == [(1, "carrier_fault"), (2, "user_error")]


def test_an_open_case_has_no_survey():
    open_case(customer_id="U2002")
    assert Satisfaction.objects.count() == 0


@pytest.mark.parametrize("score", [0, 6, "x", None, "", 2.5, True, "-1"])
def test_a_score_outside_1_to_5_is_refused_naming_score(resolved, score):
    survey = Satisfaction.objects.get(case=resolved)
    with pytest.raises(Invalid) as err:
        surveys.record_answer(survey, score, "好")
    assert list(err.value.errors) == ["score"]
    survey.refresh_from_db()
    assert (survey.score, survey.answered_at) == (None, None)
    assert not CaseEvent.objects.filter(case=resolved, type=EventType.SATISFACTION).exists()


def test_a_comment_over_1000_characters_is_refused(resolved):
    survey = Satisfaction.objects.get(case=resolved)
    with pytest.raises(Invalid) as err:
        surveys.record_answer(survey, 5, "好" * 1001)
    assert list(err.value.errors) == ["comment"]
    assert Satisfaction.objects.get(pk=survey.pk).score is None


def test_an_answer_is_saved_once_with_its_timeline_event(resolved):
    survey = Satisfaction.objects.get(case=resolved)
    surveys.record_answer(survey, "4", " 处理很快 " + "好" * 994)
    survey.refresh_from_db()
    assert (survey.score, survey.comment[:4], survey.follow_up) == (4, "处理很快", "")
    assert survey.answered_at is not None
    events = CaseEvent.objects.filter(case=resolved, type=EventType.SATISFACTION)
    assert [e.payload["score"] for e in events] == [4]
    with pytest.raises(Conflict):
        surveys.record_answer(survey, 1, "改主意了")
    assert Satisfaction.objects.get(pk=survey.pk).score == 4
    assert DeskNotification.objects.count() == 0


def test_a_low_score_opens_a_follow_up_told_to_the_queues_supervisors_only(resolved, agent):
    sup = staff("supervisor", "recharge", username="sup1")
    other_sup = staff("supervisor", "general", username="sup2")
    survey = Satisfaction.objects.get(case=resolved)

    surveys.record_answer(survey, 2, "退款太慢")

    survey.refresh_from_db()
    assert survey.follow_up == "open"
    notes = list(DeskNotification.objects.all())
    assert [(n.recipient_id, n.kind, n.case_id) for n in notes] == [
        (sup.pk, "csat_low", resolved.pk)
    ]
    assert other_sup.pk not in {n.recipient_id for n in notes}
    payloads = [
        e.payload
        for e in CaseEvent.objects.filter(case=resolved, type=EventType.SATISFACTION).order_by("pk")
    ]
    assert [p.get("follow_up") for p in payloads] == [None, "open"]
    # a second delivery of the event opens and tells nothing more
    assert surveys.follow_up_open(survey=survey) is False
    assert DeskNotification.objects.count() == 1


@override_settings(CSAT_FOLLOW_UP_MAX_SCORE=3)
def test_the_low_score_threshold_is_a_setting(resolved):
    staff("supervisor", "recharge", username="sup1")
    survey = Satisfaction.objects.get(case=resolved)
    surveys.record_answer(survey, 3, "")
    assert Satisfaction.objects.get(pk=survey.pk).follow_up == "open"


def test_a_score_of_three_opens_no_follow_up(resolved):
    staff("supervisor", "recharge", username="sup1")
    survey = Satisfaction.objects.get(case=resolved)
    surveys.record_answer(survey, 3, "")
    assert Satisfaction.objects.get(pk=survey.pk).follow_up == ""
    assert DeskNotification.objects.count() == 0


def test_only_a_supervisor_of_the_queue_closes_the_follow_up_with_a_note(resolved, agent):
    sup = staff("supervisor", "recharge", username="sup1")
    other_sup = staff("supervisor", "general", username="sup2")
    survey = Satisfaction.objects.get(case=resolved)
    surveys.record_answer(survey, 1, "很差")
    audits = AuditEntry.objects.count()

    for user in (agent, other_sup):
        with pytest.raises(Forbidden):
            surveys.follow_up_close(actor=user, survey=survey, note="已回访")
    with pytest.raises(Invalid) as err:
        surveys.follow_up_close(actor=sup, survey=survey, note="  ")
    assert list(err.value.errors) == ["note"]
    survey.refresh_from_db()
    assert (survey.follow_up, survey.follow_up_by_id, survey.follow_up_note) == ("open", None, "")
    assert AuditEntry.objects.count() == audits

    surveys.follow_up_close(actor=sup, survey=survey, note="已电话回访，客户接受解释")

    survey.refresh_from_db()
    assert (survey.follow_up, survey.follow_up_by_id) == ("done", sup.pk)
    assert survey.follow_up_note == "已电话回访，客户接受解释"
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.actor_id, entry.object_id) == (
        "satisfaction.follow_up_closed",
        sup.pk,
        resolved.reference,
    )
    with pytest.raises(Conflict):
        surveys.follow_up_close(actor=sup, survey=survey, note="再来一次")
