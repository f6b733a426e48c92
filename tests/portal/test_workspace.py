"""The case workspace's customer-link panel: issue a link, revoke one (the case's agent or a
supervisor, with a reason), when the customer last used it, and the customer's survey answer."""

import re

import pytest

from cases.choices import EventType, Status
from cases.models import CaseEvent
from casework.services import case_transition
from portal.models import CustomerLink, Satisfaction
from tests.support.factories import open_case

pytestmark = pytest.mark.django_db


def test_the_panel_shows_links_and_the_survey_answer(people, login, opened, customer_client):
    case = open_case(customer_id="U1")
    path = opened(case)
    case_transition(actor=people.agent, case=case, to=Status.RESOLVED, root_cause="carrier_fault")
    case.refresh_from_db()
    assert Satisfaction.objects.filter(
        case=case, cycle=case.cycle
    ).exists()  # offered on resolution
    assert (
        customer_client.post(path + "survey/", {"score": "2", "comment": "太慢了"}).status_code
        == 302
    )
    page = login(people.agent).get(f"/cases/{case.reference}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="customer-links"' in html
    assert "<strong>2/5</strong>" in html and "太慢了" in html
    # the acknowledgement's link, the one opened, the resolution message's
    assert html.count("data-link=") == 3


def test_an_agent_issues_a_link_and_a_supervisor_revokes_it(people, login):
    case = open_case(customer_id="U1")
    client = login(people.agent)
    response = client.post(f"/cases/{case.reference}/customer-links/", follow=True)
    assert response.status_code == 200
    [url] = re.findall(r"http://127\.0\.0\.1:8000/c/[A-Za-z0-9_-]{22}/", response.content.decode())
    assert CustomerLink.objects.filter(case=case).count() == 2
    link = CustomerLink.objects.filter(case=case).order_by("-pk").first()

    other = login(people.agent2)  # not the case's agent, not a supervisor
    refused = other.post(
        f"/cases/{case.reference}/customer-links/{link.pk}/revoke/", {"reason": "换号"}
    )
    assert refused.status_code in (302, 403)
    link.refresh_from_db()
    assert link.revoked_at is None
    assert not CaseEvent.objects.filter(case=case, payload__action="revoked").exists()

    sup = login(people.supervisor)
    empty = sup.post(f"/cases/{case.reference}/customer-links/{link.pk}/revoke/", {"reason": ""})
    assert empty.status_code == 400
    done = sup.post(f"/cases/{case.reference}/customer-links/{link.pk}/revoke/", {"reason": "换号"})
    assert done.status_code == 302
    link.refresh_from_db()
    assert (link.revoked_by, link.revoke_reason) == (people.supervisor, "换号")
    event = CaseEvent.objects.get(case=case, type=EventType.STATUS_LINK, payload__action="revoked")
    assert event.actor == people.supervisor
    assert sup.get(url.replace("http://127.0.0.1:8000", "")).status_code == 410


def test_a_link_of_another_case_is_not_revoked_through_this_one(people, login):
    case = open_case(customer_id="U1")
    other = open_case(customer_id="U2", order=None)
    foreign = CustomerLink.objects.get(case=other)
    response = login(people.supervisor).post(
        f"/cases/{case.reference}/customer-links/{foreign.pk}/revoke/", {"reason": "x"}
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.revoked_at is None
