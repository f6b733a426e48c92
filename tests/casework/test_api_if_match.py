"""The API's optional optimistic concurrency: the case detail and every action answer with the
case's version as an ETag; an action sent with If-Match is refused (412) when the case changed
since, and nothing is written. Without If-Match the API behaves as before."""

import pytest
from rest_framework.test import APIClient

from cases.choices import EventType, Status
from cases.models import CaseEvent, Message
from casework.services import case_claim, case_transition

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


@pytest.fixture
def claimed(people, case):
    case_claim(actor=people.agent, case=case)
    return case


def etag(client, case) -> str:
    response = client.get(f"/api/v1/cases/{case.reference}/")
    assert response.status_code == 200
    return response["ETag"]


def test_the_detail_carries_the_version_as_etag(people, claimed):
    latest = CaseEvent.objects.filter(case=claimed).latest("id").pk
    assert etag(client_for(people.agent), claimed) == f'"{latest}"'


def test_a_reply_with_a_stale_if_match_is_refused_and_nothing_is_written(people, claimed):
    agent = client_for(people.agent)
    seen = etag(agent, claimed)
    case_transition(actor=people.supervisor, case=claimed, to=Status.WAITING_CUSTOMER)
    before = (CaseEvent.objects.count(), Message.objects.count())
    response = agent.post(
        f"/api/v1/cases/{claimed.reference}/reply/",
        {"body": "hello", "internal": False},
        format="json",
        HTTP_IF_MATCH=seen,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 412
    assert response.json()["code"] == "case_changed"
    assert "Status changed by sup" in response.json()["detail"]
    in_chinese = agent.post(
        f"/api/v1/cases/{claimed.reference}/reply/",
        {"body": "hello", "internal": False},
        format="json",
        HTTP_IF_MATCH=seen,
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert in_chinese.status_code == 412
    assert "sup" in in_chinese.json()["detail"] and "Status" not in in_chinese.json()["detail"]
    assert (CaseEvent.objects.count(), Message.objects.count()) == before
    fresh = etag(agent, claimed)
    again = agent.post(
        f"/api/v1/cases/{claimed.reference}/reply/",
        {"body": "hello", "internal": False},
        format="json",
        HTTP_IF_MATCH=fresh,
    )
    assert again.status_code == 201 and again["ETag"] != fresh


def test_transition_assign_and_extend_check_if_match_too(people, claimed):
    supervisor = client_for(people.supervisor)
    seen = etag(supervisor, claimed)
    case_transition(actor=people.agent, case=claimed, to=Status.WAITING_CUSTOMER)
    events = CaseEvent.objects.count()
    calls = {
        "transition": {"to": "in_progress"},
        "assign": {"assignee": "agent2"},
        "extend": {"reason": "需要运营商回执"},
    }
    for action, body in calls.items():
        response = supervisor.post(
            f"/api/v1/cases/{claimed.reference}/{action}/", body, format="json", HTTP_IF_MATCH=seen
        )
        assert response.status_code == 412, (action, response.content)
    assert CaseEvent.objects.count() == events


def test_without_if_match_nothing_changes_and_a_bad_one_names_the_header(people, claimed):
    agent = client_for(people.agent)
    case_transition(actor=people.supervisor, case=claimed, to=Status.WAITING_CUSTOMER)
    ok = agent.post(
        f"/api/v1/cases/{claimed.reference}/reply/", {"body": "x", "internal": True}, format="json"
    )
    assert ok.status_code == 201
    for bad in ('"abc"', "", "-1", '"1.5"'):
        response = agent.post(
            f"/api/v1/cases/{claimed.reference}/reply/",
            {"body": "y", "internal": True},
            format="json",
            HTTP_IF_MATCH=bad,
        )
        assert response.status_code == 400 and "If-Match" in response.json(), bad
    assert CaseEvent.objects.filter(case=claimed, type=EventType.NOTE).count() == 1
