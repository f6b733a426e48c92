"""Issue 25: the supervisors' list of satisfaction follow-ups ("满意度回访"), closing one with a
note from the list or the workspace, and the workspace panel (answers, linked cases). Scoped:
a supervisor sees and closes the follow-ups of their queues, managers see every queue, agents
get no list."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice.audit.models import AuditEntry
from cases.choices import Status
from casework.services import case_claim, case_transition
from desk.models import Notification as DeskNotification
from portal import surveys
from portal.models import Satisfaction
from tests.support.factories import open_case, order_data, staff

pytestmark = pytest.mark.django_db
URL = "/csat/follow-ups/"


@pytest.fixture
def people():
    return {
        "agent": staff("agent", "recharge", username="agent1"),
        "sup": staff("supervisor", "recharge", username="sup1"),
        "other_sup": staff("supervisor", "general", username="sup2"),
        "manager": staff("manager", username="boss"),
    }


def answered(people, n, score, *, prefix="F"):
    made = []
    for i in range(n):
        case = open_case(customer_id=f"{prefix}{i}", order=order_data(order_id=f"{prefix}-R{i}"))
        case_claim(actor=people["agent"], case=case)
        case_transition(
            actor=people["agent"], case=case, to=Status.RESOLVED, root_cause="user_error"
        )
        survey = Satisfaction.objects.get(case=case)
        surveys.record_answer(survey, score, f"评论{i}")
        made.append(survey)
    return made


def login(client, user):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    client.force_login(user)
    return client


def test_a_supervisor_lists_the_open_follow_ups_of_their_queue(client, people):
    low = answered(people, 2, 1)
    answered(people, 1, 5, prefix="G")
    page = login(client, people["sup"]).get(URL)
    assert page.status_code == 200
    text = page.content.decode()
    assert "满意度回访" in text
    assert sorted(int(x) for x in _rows(text)) == sorted(s.pk for s in low)


def _rows(text):
    import re

    return re.findall(r'data-survey="(\d+)"', text)


def test_another_queues_supervisor_sees_none_and_a_manager_sees_all(client, people):
    low = answered(people, 2, 2)
    assert _rows(login(client, people["other_sup"]).get(URL).content.decode()) == []
    assert len(_rows(login(client, people["manager"]).get(URL).content.decode())) == len(low)


def test_an_agent_has_no_follow_up_list(client, people):
    answered(people, 1, 1)
    assert login(client, people["agent"]).get(URL).status_code == 403


def test_anonymous_goes_to_the_login_page(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_bad_filter_is_a_400_naming_the_field(client, people):
    page = login(client, people["sup"]).get(URL, {"score": "9"})
    assert page.status_code == 400
    assert "评分" in page.content.decode()
    assert login(client, people["sup"]).get(URL, {"answered_after": "x"}).status_code == 400


def test_the_done_filter_lists_closed_follow_ups(client, people):
    first, second = answered(people, 2, 1)
    surveys.follow_up_close(actor=people["sup"], survey=first, note="已回访")
    client = login(client, people["sup"])
    assert _rows(client.get(URL).content.decode()) == [str(second.pk)]
    done = client.get(URL, {"follow_up": "done"}).content.decode()
    assert _rows(done) == [str(first.pk)] and "已回访" in done


def test_the_list_query_count_does_not_grow_with_rows(client, people):
    answered(people, 2, 1)
    client = login(client, people["manager"])
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    answered(people, 4, 2, prefix="H")
    with CaptureQueriesContext(connection) as more:
        page = client.get(URL)
    assert len(_rows(page.content.decode())) == 6
    assert len(more) == len(few)


def test_a_supervisor_closes_a_follow_up_with_a_note(client, people):
    (survey,) = answered(people, 1, 1)
    response = login(client, people["sup"]).post(
        f"{URL}{survey.pk}/close/", {"note": "已电话联系客户"}
    )
    assert response.status_code == 302
    survey.refresh_from_db()
    assert (survey.follow_up, survey.follow_up_by_id, survey.follow_up_note) == (
        "done",
        people["sup"].pk,
        "已电话联系客户",
    )
    assert AuditEntry.objects.filter(action="satisfaction.follow_up_closed").count() == 1


def test_an_empty_note_is_a_400_naming_the_note(client, people):
    (survey,) = answered(people, 1, 1)
    response = login(client, people["sup"]).post(f"{URL}{survey.pk}/close/", {"note": " "})
    assert response.status_code == 400
    assert "备注" in response.content.decode()
    assert Satisfaction.objects.get(pk=survey.pk).follow_up == "open"


@pytest.mark.parametrize(("who", "status"), [("agent", 403), ("other_sup", 404)])
def test_others_cannot_close_a_follow_up(client, people, who, status):
    (survey,) = answered(people, 1, 1)
    audits = AuditEntry.objects.count()
    response = login(client, people[who]).post(f"{URL}{survey.pk}/close/", {"note": "我来关"})
    assert response.status_code == status
    survey.refresh_from_db()
    assert (survey.follow_up, survey.follow_up_note) == ("open", "")
    assert AuditEntry.objects.count() == audits


@pytest.mark.parametrize("pk", ["999999", "0", "9223372036854775807", "99999999999999999999999"])
def test_an_unknown_survey_is_a_404(client, people, pk):
    assert login(client, people["sup"]).post(f"{URL}{pk}/close/", {"note": "x"}).status_code == 404


def test_the_inbox_tells_the_supervisor_in_words(client, people):
    (survey,) = answered(people, 1, 2)
    assert DeskNotification.objects.filter(recipient=people["sup"]).count() == 1
    text = login(client, people["sup"]).get("/desk/inbox/").content.decode()
    assert f"投诉{survey.case.reference}的客户评分为2分（满分5分），请回访。" in text


def test_the_workspace_shows_the_answer_and_closes_the_follow_up(client, people):
    (survey,) = answered(people, 1, 1)
    reference = survey.case.reference
    client = login(client, people["sup"])
    page = client.get(f"/cases/{reference}/").content.decode()
    assert "满意度与关联投诉" in page and "1/5" in page and "评论0" in page
    assert f'action="/csat/follow-ups/{survey.pk}/close/"' in page
    agent_page = login(client, people["agent"]).get(f"/cases/{reference}/").content.decode()
    assert "1/5" in agent_page
    assert f'action="/csat/follow-ups/{survey.pk}/close/"' not in agent_page
    response = login(client, people["sup"]).post(
        f"{URL}{survey.pk}/close/", {"note": "已处理", "next": f"/cases/{reference}/"}
    )
    assert response["Location"] == f"/cases/{reference}/"
