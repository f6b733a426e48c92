"""Live lists and presence: the lists and the overview answer their poll with a fragment at a fixed
query count; the workspace's heartbeat shows who else has the case open or is writing, in the
workspace and as an icon in the list, only to those who may see the case."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.support.factories import many_cases

pytestmark = pytest.mark.django_db
POLL = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TRIGGER": "case-list"}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def beat(client, case, writing="0"):
    return client.post(f"/cases/{case.reference}/presence/", {"writing": writing})


def test_the_workspace_shows_who_else_is_viewing_or_writing(people, case):
    agent, agent2 = client_for(people.agent), client_for(people.agent2)
    first = beat(agent2, case)
    assert first.status_code == 200 and first.content.decode().strip() == ""  # alone so far
    beat(agent, case)
    html = agent2.get(f"/cases/{case.reference}/").content.decode()
    assert "agent 正在查看" in html
    answer = beat(agent, case, writing="1")
    assert "agent2 正在查看" in answer.content.decode()
    assert "agent 正在回复" in beat(agent2, case).content.decode()
    assert "agent 正在" not in beat(agent, case).content.decode()  # never yourself


def test_leaving_removes_the_entry(people, case):
    agent, agent2 = client_for(people.agent), client_for(people.agent2)
    beat(agent, case)
    agent.post(f"/cases/{case.reference}/presence/", {"leave": "1"})
    assert beat(agent2, case).content.decode().strip() == ""


def test_the_list_marks_cases_someone_else_has_open(people, case):
    beat(client_for(people.agent2), case, writing="1")
    html = client_for(people.agent).get("/queues/recharge/").content.decode()
    assert 'class="presence-icon writing"' in html and "agent2 正在回复" in html
    own = client_for(people.agent2).get("/queues/recharge/").content.decode()
    assert "presence-icon" not in own


def test_presence_is_scoped_to_those_who_may_see_the_case(people, case):
    outsider = client_for(people.credit_agent)  # the credit queue's agent
    assert beat(outsider, case).status_code == 404
    assert beat(outsider, case, writing="1").status_code == 404
    assert beat(client_for(people.agent), case).content.decode().strip() == ""  # nothing planted
    assert outsider.get(f"/cases/{case.reference}/").status_code == 404
    anonymous = Client().post(f"/cases/{case.reference}/presence/", {"writing": "0"})
    assert anonymous.status_code == 302
    assert client_for(people.agent).get(f"/cases/{case.reference}/presence/").status_code == 405


def test_the_list_poll_is_the_fragment_without_the_messages(people, case):
    response = client_for(people.agent).get("/queues/recharge/", **POLL)
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<div id="case-list"')
    assert 'hx-trigger="every 15s"' in html and 'id="messages"' not in html
    overview = client_for(people.agent).get("/queues/", HTTP_HX_REQUEST="true")
    text = overview.content.decode()
    assert text.lstrip().startswith('<div id="overview"') and "<html" not in text


def count(client, url) -> int:
    client.get(url, **POLL)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, **POLL).status_code == 200
    return len(ctx.captured_queries)


def test_the_polls_cost_a_fixed_number_of_queries(people):
    client = client_for(people.supervisor)
    few = many_cases(3, prefix="A")
    before = {url: count(client, url) for url in ("/queues/recharge/", "/queues/")}
    lots = many_cases(27, prefix="B")
    for case in [*few, *lots][:20]:
        beat(client_for(people.agent), case, writing="1")
    after = {url: count(client, url) for url in ("/queues/recharge/", "/queues/")}
    assert before == after
