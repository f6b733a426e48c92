"""Issue 25: the satisfaction follow-ups over the API (`/api/v1/csat/follow-ups/`), sharing the
screen's FilterSet: scoped by queue, closed by a supervisor of the queue with a note."""

import pytest
from rest_framework.test import APIClient

from cases.choices import Status
from casework.services import case_claim, case_transition
from portal import surveys
from portal.models import Satisfaction
from tests.support.factories import open_case, order_data, staff

pytestmark = pytest.mark.django_db
URL = "/api/v1/csat/follow-ups/"


@pytest.fixture
def people():
    return {
        "agent": staff("agent", "recharge", username="agent1"),
        "sup": staff("supervisor", "recharge", username="sup1"),
        "other_sup": staff("supervisor", "general", username="sup2"),
        "manager": staff("manager", username="boss"),
    }


def answered(people, scores):
    made = []
    for i, score in enumerate(scores):
        case = open_case(customer_id=f"A{i}", order=order_data(order_id=f"A-R{i}"))
        case_claim(actor=people["agent"], case=case)
        case_transition(
            actor=people["agent"], case=case, to=Status.RESOLVED, root_cause="user_error"
        )
        survey = Satisfaction.objects.get(case=case)
        surveys.record_answer(survey, score, f"评论{i}")
        made.append(survey)
    return made


def api_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def test_the_list_is_scoped_and_filtered_like_the_screen(people):
    low, _ok = answered(people, [1, 5])
    rows = api_for(people["sup"]).get(URL).json()["results"]
    assert [(r["id"], r["score"], r["follow_up"], r["queue"]) for r in rows] == [
        (low.pk, 1, "open", "recharge")
    ]
    assert rows[0]["case"] == low.case.reference and rows[0]["agent"] == "agent1"
    assert api_for(people["other_sup"]).get(URL).json()["results"] == []
    assert len(api_for(people["manager"]).get(URL, {"follow_up": "open"}).json()["results"]) == 1
    assert api_for(people["manager"]).get(URL, {"follow_up": "done"}).json()["results"] == []
    bad = api_for(people["manager"]).get(URL, {"score": "9"})
    assert bad.status_code == 400 and list(bad.json()) == ["score"]
    assert api_for(people["agent"]).get(URL).status_code == 403


def test_a_supervisor_closes_over_the_api(people):
    (survey,) = answered(people, [2])
    url = f"{URL}{survey.pk}/close/"
    missing = api_for(people["sup"]).post(url, {}, format="json")
    assert missing.status_code == 400 and list(missing.json()) == ["note"]
    assert api_for(people["other_sup"]).post(url, {"note": "x"}, format="json").status_code == 404
    assert api_for(people["manager"]).post(url, {"note": "x"}, format="json").status_code == 403
    assert Satisfaction.objects.get(pk=survey.pk).follow_up == "open"

    done = api_for(people["sup"]).post(url, {"note": "已回访"}, format="json")

    assert done.status_code == 200, done.content
    body = done.json()
    assert (body["follow_up"], body["follow_up_by"], body["follow_up_note"]) == (
        "done",
        "sup1",
        "已回访",
    )
    again = api_for(people["sup"]).post(url, {"note": "再次"}, format="json")
    assert again.status_code == 409


def test_the_list_query_count_does_not_grow_with_rows(people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    answered(people, [1, 2])
    client = api_for(people["manager"])
    client.get(URL)  # the first request reads what the process caches (the user's roles)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(URL).json()["results"]) == 2
    more_people = {**people}
    for i, score in enumerate([1, 2, 1]):
        case = open_case(customer_id=f"B{i}", order=order_data(order_id=f"B-R{i}"))
        case_claim(actor=more_people["agent"], case=case)
        case_transition(
            actor=more_people["agent"], case=case, to=Status.RESOLVED, root_cause="user_error"
        )
        surveys.record_answer(Satisfaction.objects.get(case=case), score, "")
    with CaptureQueriesContext(connection) as more:
        assert len(client.get(URL).json()["results"]) == 5
    assert len(more) == len(few)


@pytest.mark.parametrize("pk", ["0", "999999999999999999", "99999999999999999999999", "abc"])
def test_an_unknown_or_impossible_id_is_a_404(people, pk):
    response = api_for(people["sup"]).post(f"{URL}{pk}/close/", {"note": "x"}, format="json")
    assert response.status_code == 404
