"""Issue 24: breached cases come first under the default sort ("SLA due, soonest first"), the
overview's breached and at-risk counts link to the list filtered by the one FilterSet, and the
API takes the same filter."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from cases.models import Case
from casework.services import case_claim, case_transition
from sla.models import SlaClock
from sla.sweep import sla_sweep
from tests.support.factories import many_cases, open_case, order_data, staff

pytestmark = pytest.mark.django_db
ROW = re.compile(r'name="cases" value="([A-Z0-9-]+)"')
LINK = re.compile(
    r'href="(/queues/recharge/\?sla_state=(breached|at_risk))"><span[^>]*>[^<]*</span> (\d+)'
)


def breach(cases) -> None:
    """Their first-response clocks started ten days ago; the sweep breaches them (the real path)."""
    now = timezone.now()
    SlaClock.objects.filter(case__in=cases, metric="first_response").update(
        started_at=now - timedelta(days=10), next_threshold_at=now - timedelta(hours=1)
    )
    sla_sweep(now=now)


def at_risk(cases) -> None:
    SlaClock.objects.filter(case__in=cases, metric="first_response").update(fired="warn_50,warn_75")


@pytest.fixture
def queue_with_late_breaches():
    """30 cases; the three opened first breach. Before the fix they sank to their resolution due
    time, days after every other case's first-response due time: behind the first page."""
    cases = many_cases(30)
    breached, risky = cases[:3], cases[10:12]
    breach(breached)
    at_risk(risky)
    return cases, breached, risky


def test_the_default_sort_starts_with_the_breached_cases(login, people, queue_with_late_breaches):
    _, breached, _ = queue_with_late_breaches
    for case in breached:
        case.refresh_from_db()
        assert case.breached and case.next_due_at < timezone.now()

    html = login(people.agent).get("/queues/recharge/").content.decode()

    first_page = ROW.findall(html)
    assert len(first_page) == 25
    assert set(first_page[:3]) == {c.reference for c in breached}
    # the longest overdue first, then due soonest
    due = {c.reference: c.next_due_at for c in Case.objects.filter(queue__code="recharge")}
    assert [due[r] for r in first_page] == sorted(due[r] for r in first_page)


def test_the_overview_counts_link_to_the_filtered_list(login, people, queue_with_late_breaches):
    _, breached, risky = queue_with_late_breaches
    client = login(people.agent)

    html = client.get("/queues/").content.decode().replace("&amp;", "&")

    links = {kind: (href, int(n)) for href, kind, n in LINK.findall(html)}
    assert links["breached"][1] == 3 and links["at_risk"][1] == 2
    for kind, expected in (("breached", breached), ("at_risk", risky)):
        href, count = links[kind]
        listed = ROW.findall(client.get(href).content.decode())
        assert len(listed) == count
        assert set(listed) == {c.reference for c in expected}


def test_the_list_form_offers_the_sla_filter_in_chinese(login, people, queue_with_late_breaches):
    client = login(people.agent)
    html = client.get("/queues/recharge/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'name="sla_state" value="breached"' in html
    assert 'name="sla_state" value="at_risk"' in html
    both = client.get("/queues/recharge/?sla_state=breached&sla_state=at_risk").content.decode()
    assert len(ROW.findall(both)) == 5


def test_a_supervisor_s_totals_link_to_all_queues(login, people, queue_with_late_breaches):
    lead = staff("supervisor", "recharge", "credit", username="lead")
    html = login(lead).get("/queues/").content.decode()  # the totals of two queues
    assert 'href="/cases/?sla_state=breached">3<' in html
    agent = staff("agent", "recharge", "credit", username="both")
    html = login(agent).get("/queues/").content.decode()
    assert 'href="/cases/?sla_state=breached"' not in html  # agents have no all-queues list


def test_the_api_takes_the_same_filter(people, queue_with_late_breaches):
    _, breached, risky = queue_with_late_breaches
    api = APIClient()
    api.force_authenticate(people.agent)
    rows = api.get("/api/v1/cases/?sla_state=breached&ordering=next_due_at").json()["results"]
    assert {r["reference"] for r in rows} == {c.reference for c in breached}
    rows = api.post("/api/v1/cases/search/", {"sla_state": ["at_risk"]}, format="json").json()
    assert {r["reference"] for r in rows["results"]} == {c.reference for c in risky}
    bad = api.get("/api/v1/cases/?sla_state=late")
    assert bad.status_code == 400 and "sla_state" in bad.json()


def test_a_resolved_case_has_no_due_time_and_is_not_breached_now(login, people):
    case = open_case(order=order_data(order_id="RX"))
    breach([case])
    case_claim(actor=people.agent, case=case)
    case_transition(actor=people.agent, case=case, to="resolved", root_cause="user_error")
    case.refresh_from_db()
    assert case.breached and case.next_due_at.year == 9000
    html = login(people.agent).get("/queues/recharge/?sla_state=breached&status=resolved")
    assert ROW.findall(html.content.decode()) == []
