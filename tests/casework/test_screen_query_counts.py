"""The list pages cost the same number of queries for 3 rows as for 30 (NetBox-style pins), and the
lists page by keyset: no OFFSET, no COUNT(*) of the table."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Case
from casework.services import case_claim
from tests.support.factories import many_cases
from tests.support.refund_factories import request_refund

pytestmark = pytest.mark.django_db

LISTS = ["/queues/recharge/", "/cases/", "/queues/"]


def count(client, url) -> tuple[int, list[str]]:
    client.get(url)  # warm the per-process caches (calendar specs, configuration)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


def test_case_lists_cost_the_same_for_3_and_30_rows(login, people):
    client = login(people.supervisor)
    many_cases(3, prefix="A")
    few = {url: count(client, url)[0] for url in LISTS}
    many_cases(27, prefix="B")
    assert Case.objects.count() == 30
    lots = {url: count(client, url)[0] for url in LISTS}
    assert lots == few
    # Session, user, roles, queue memberships, the approval tiers (navigation), the queue; then
    # the page: the queue choices of the filter, the assignable agents, the open incidents (a
    # supervisor's bulk "link to incident"), cases, flags, clocks, the saved views.
    # The overview: one grouped count over the open cases of the visible queues.
    assert few == {"/queues/recharge/": 11, "/cases/": 11, "/queues/": 7}


def test_my_cases_cost_the_same_for_3_and_30_rows(login, people):
    client = login(people.agent)
    for case in many_cases(3, prefix="A"):
        case_claim(actor=people.agent, case=case)
    few, _ = count(client, "/cases/mine/")
    for case in many_cases(27, prefix="B"):
        case_claim(actor=people.agent, case=case)
    lots, sql = count(client, "/cases/mine/")
    assert few == lots
    assert "/cases/CS-" not in "".join(sql)


def test_the_approvals_inbox_costs_the_same_for_3_and_30_refunds(login, people):
    client = login(people.finance)
    for case in many_cases(3, prefix="A"):
        request_refund(people.agent, case, "10.00")
    few, _ = count(client, "/approvals/")
    for case in many_cases(27, prefix="B"):
        request_refund(people.agent, case, "10.00")
    lots, _ = count(client, "/approvals/")
    assert few == lots


def test_the_workspace_costs_the_same_with_a_long_timeline(login, people):
    from casework.services import case_reply

    (case,) = many_cases(1)
    client = login(people.agent)
    url = f"/cases/{case.reference}/"
    case_reply(actor=people.agent, case=case, body="第一次回复")
    few, _ = count(client, url)
    for i in range(20):
        case_reply(actor=people.agent, case=case, body=f"第{i}次回复", internal=i % 2 == 0)
    lots, _ = count(client, url)
    assert few == lots


def test_lists_page_by_keyset_without_offset_or_count(login, people):
    many_cases(30)
    client = login(people.supervisor)
    _, sql = count(client, "/queues/recharge/")
    text = "\n".join(sql).upper()
    assert " OFFSET " not in text
    assert "COUNT(*)" not in text and 'COUNT("CASES_CASE"' not in text
