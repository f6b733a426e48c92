"""Issue 24: "Next case" claims the most urgent unassigned case of the user's queues, through the
claim service, atomically (two agents pressing at once never get the same case)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backoffice.audit.models import AuditEntry
from cases.models import Case
from casework.services import case_claim, case_claim_next
from tests.casework.test_breached_first import breach
from tests.support.concurrency import run_concurrently
from tests.support.factories import many_cases, open_case, order_data, staff

pytestmark = pytest.mark.django_db


def press(client, **headers):
    return client.post("/cases/next/", **headers)


def test_the_breached_case_comes_first_then_due_soonest(login, people):
    cases = many_cases(4)
    breach([cases[3]])  # opened last: due last, but breached
    client = login(people.agent)

    response = press(client)

    assert response.status_code == 302
    assert response["Location"] == f"/cases/{cases[3].reference}/"
    cases[3].refresh_from_db()
    assert cases[3].assignee == people.agent and cases[3].status == "in_progress"
    assert cases[3].events.filter(type="claimed", actor=people.agent).count() == 1
    assert AuditEntry.objects.filter(action="case.claim", actor=people.agent).count() == 1
    # then the soonest due
    assert press(client)["Location"] == f"/cases/{cases[0].reference}/"


def test_among_cases_due_together_the_higher_priority_first(login, people):
    low, high = many_cases(2)
    Case.objects.filter(pk__in=[low.pk, high.pk]).update(next_due_at=low.next_due_at)
    Case.objects.filter(pk=low.pk).update(priority="p3")
    Case.objects.filter(pk=high.pk).update(priority="p1")
    assert press(login(people.agent))["Location"] == f"/cases/{high.reference}/"


def test_only_unassigned_open_cases_of_my_queues(login, people):
    taken, mine = many_cases(2)
    case_claim(actor=people.agent2, case=taken)
    other = open_case(
        customer_id="K1", category="credit_limit_unusable", order=None, subject="额度不可用"
    )
    assert other.queue.code == "credit"
    breach([other, taken])

    assert press(login(people.agent))["Location"] == f"/cases/{mine.reference}/"
    response = press(login(people.agent), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response["Location"] == "/queues/"
    page = login(people.agent).get("/queues/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "你的队列中已没有未分配的未结工单" in page
    other.refresh_from_db()
    assert other.assignee is None  # another queue's case is never taken


def test_a_get_claims_nothing_and_other_roles_may_not(login, people):
    case = open_case()
    assert login(people.agent).get("/cases/next/")["Location"] == "/queues/"
    assert login(people.finance).post("/cases/next/").status_code == 403
    assert login(people.manager).post("/cases/next/").status_code == 403
    case.refresh_from_db()
    assert case.assignee is None and not case.events.filter(type="claimed").exists()


def test_the_list_and_the_overview_offer_the_button(login, people):
    client = login(people.agent)
    for url in ("/queues/", "/queues/recharge/", "/cases/mine/"):
        assert 'action="/cases/next/"' in client.get(url).content.decode()
    html = login(people.finance).get("/queues/").content.decode()
    assert 'action="/cases/next/"' not in html


def queries_for_a_press(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert press(client).status_code == 302
    return len(captured.captured_queries)


def test_a_press_costs_the_same_queries_however_many_cases_wait(login, people):
    many_cases(2, prefix="A")
    few = queries_for_a_press(login(people.agent))
    many_cases(40, prefix="B")
    assert queries_for_a_press(login(people.agent2)) == few
    Case.objects.update(assignee=people.agent)
    empty = queries_for_a_press(login(people.agent2))
    assert empty <= few


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_agents_pressing_at_once_never_get_the_same_case():
    cases = many_cases(4)
    past = timezone.now() - timedelta(hours=1)
    Case.objects.filter(pk=cases[2].pk).update(next_due_at=past)
    agents = [staff("agent", "recharge", username=f"nx{i}") for i in range(8)]

    results = run_concurrently(8, lambda i: case_claim_next(actor=agents[i]))

    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    claimed = [r for r in results if r is not None]
    assert len(claimed) == 4 and len({c.pk for c in claimed}) == 4
    assert results.count(None) == 4
    for case in Case.objects.filter(pk__in=[c.pk for c in cases]):
        assert case.assignee is not None
        assert case.events.filter(type="claimed").count() == 1
    winner = next(r for r in claimed if r.pk == cases[2].pk)
    assert winner.assignee in agents


def test_the_service_refuses_non_workers(people):
    from backoffice.errors import Forbidden

    open_case(order=order_data(order_id="RZ"))
    with pytest.raises(Forbidden):
        case_claim_next(actor=people.finance)
