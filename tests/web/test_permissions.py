"""Who may open which screen: anonymous users go to the login page, other roles get 403, and an
agent never sees a case or queue outside their queues (404, as if it did not exist)."""

import pytest
from django.urls import reverse

from cases.models import Case, CaseEvent

pytestmark = pytest.mark.django_db

STAFF_PAGES = [
    "/queues/",
    "/queues/recharge/",
    "/cases/",
    "/cases/mine/",
    "/approvals/",
    "/incidents/",
    "/incidents/new/",
]


def test_anonymous_users_are_sent_to_the_login_page(client, case):
    pages = [*STAFF_PAGES, f"/cases/{case.reference}/", "/"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
    response = client.post(f"/cases/{case.reference}/claim/")
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).assignee_id is None


@pytest.mark.parametrize(
    ("who", "forbidden"),
    [
        ("intake", STAFF_PAGES),
        ("agent", ["/cases/", "/incidents/", "/incidents/new/"]),
        ("finance", ["/cases/mine/", "/incidents/", "/incidents/new/"]),
        ("manager", ["/cases/mine/", "/approvals/"]),
    ],
)
def test_roles_are_refused_the_pages_they_must_not_see(login, people, case, who, forbidden):
    client = login(getattr(people, who))
    for url in forbidden:
        assert client.get(url).status_code == 403, (who, url)


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("agent", ["/queues/", "/queues/recharge/", "/cases/mine/", "/approvals/"]),
        ("supervisor", STAFF_PAGES),
        ("finance", ["/queues/", "/queues/credit/", "/cases/", "/approvals/"]),
        ("manager", ["/queues/", "/cases/", "/incidents/", "/incidents/new/"]),
    ],
)
def test_roles_see_their_pages(login, people, case, who, allowed):
    client = login(getattr(people, who))
    for url in allowed:
        assert client.get(url).status_code == 200, (who, url)
    assert client.get(f"/cases/{case.reference}/").status_code == 200


def test_the_intake_client_cannot_open_a_case(login, people, case):
    assert login(people.intake).get(f"/cases/{case.reference}/").status_code == 403


def test_an_agent_sees_only_their_queues(login, people, case, credit_case):
    client = login(people.agent)
    assert client.get(f"/cases/{case.reference}/").status_code == 200
    assert client.get(f"/cases/{credit_case.reference}/").status_code == 404
    assert client.get("/queues/credit/").status_code == 404
    assert client.get("/queues/no-such-queue/").status_code == 404
    listing = client.get("/queues/recharge/").content.decode()
    assert case.reference in listing and credit_case.reference not in listing
    overview = client.get("/queues/").content.decode()
    assert "/queues/recharge/" in overview and "/queues/credit/" not in overview


def test_an_agent_cannot_act_on_another_queues_case(login, people, credit_case):
    events = CaseEvent.objects.filter(case=credit_case).count()
    client = login(people.agent)
    for action in ("claim", "reply", "status", "merge"):
        response = client.post(f"/cases/{credit_case.reference}/{action}/", {"body": "hi"})
        assert response.status_code == 404, action
    credit_case.refresh_from_db()
    assert credit_case.assignee_id is None
    assert CaseEvent.objects.filter(case=credit_case).count() == events


def test_home_sends_each_role_to_its_start_page(login, people):
    starts = {
        "agent": "/cases/mine/",
        "supervisor": "/queues/",
        "finance": "/approvals/",
        "manager": "/reports/",
    }
    for who, url in starts.items():
        response = login(getattr(people, who)).get("/")
        assert response.status_code == 302 and response["Location"] == url, who
    response = login(people.intake).get("/")
    assert response.status_code == 200
    assert b"REST API" in response.content or b"REST API" in response.content


def test_navigation_follows_the_role(login, people):
    def nav(who):
        html = login(getattr(people, who)).get("/queues/").content.decode()
        return {
            label
            for label, url in {
                "mine": 'href="/cases/mine/"',
                "all": 'href="/cases/"',
                "approvals": 'href="/approvals/"',
                "incidents": 'href="/incidents/"',
                "finance": 'href="/finance/"',
                "held": 'href="/inbound/held/"',
                "csat": 'href="/csat/follow-ups/"',
            }.items()
            if url in html
        }

    assert nav("agent") == {"mine", "approvals", "held"}
    assert nav("supervisor") == {"mine", "all", "approvals", "incidents", "finance", "held", "csat"}
    assert nav("finance") == {"all", "approvals", "finance"}
    assert nav("manager") == {"all", "incidents", "finance", "held", "csat"}


def test_phone_numbers_masked_on_the_detail_and_the_lists(login, people, case):
    client = login(people.agent)
    detail = client.get(f"/cases/{case.reference}/").content.decode()
    assert "+8613912345678" not in detail  # the full number: reveal, with a purpose (privacy)
    assert "+86 139****5678" in detail
    listing = client.get("/queues/recharge/").content.decode()
    assert "+8613912345678" not in listing
    assert "+86 139****5678" in listing
