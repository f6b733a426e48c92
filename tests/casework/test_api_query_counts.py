"""Query counts of the case list, the case detail and the refund list are pinned: a few rows cost
what many rows cost (3 and 50 cases; 3 and 42 messages with their events; 1 and 14 refunds on a
case; 3 and 50 refunds in the refund list).

And the cursor pagination of the case list walks every case exactly once.
"""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from cases.models import Case, CaseEvent
from casework.api.views import CaseViewSet
from casework.services import (
    IncomingFile,
    case_claim,
    case_customer_message,
    case_reply,
    case_transition,
)
from notifications.models import Notification
from refunds.services import refund_approve, refund_reject, refund_request
from tests.support.factories import UserFactory, credit, open_case, order_data, staff

pytestmark = pytest.mark.django_db

# URL → pinned query count as (manager, agent). The manager's: token, user and roles, cases, flags,
# SLA clocks; an agent adds their queue memberships; a `queue` filter adds checking the codes; a
# search `q` adds looking up the customers and the orders it names (casework.selectors.search_condition).
LISTS = {
    "/api/v1/cases/?page_size=100": (4, 5),
    "/api/v1/cases/?page_size=100&status=new&queue=recharge&q=%2B8613912345678": (7, 8),
    "/api/v1/cases/?page_size=100&status=new&status=in_progress&category=recharge_not_credited"
    "&assignee=none&breached=false": (4, 5),
    "/api/v1/cases/?page_size=100&ordering=next_due_at": (4, 5),
    "/api/v1/cases/?page_size=100&ordering=-next_due_at&flag=carrier_mismatch": (4, 5),
}
# The detail adds messages, the timeline, notifications and refunds to the list's queries; refunds
# bring their approvals (with their approvers) and attempts when there are any.
DETAIL = {"manager": 9, "agent": 10}
DETAIL_WITH_REFUNDS = {"manager": 11, "agent": 12}
# Token, user and roles, refunds with their case, order and requester, approvals with their
# approvers, attempts; an agent adds their queue memberships.
REFUND_LIST = {"manager": 4, "agent": 5}
WHO = ("manager", "agent")


@pytest.fixture(autouse=True)
def _no_throttle_carry_over():
    cache.clear()


@pytest.fixture
def agent():
    return staff("agent", "recharge", "credit", username="agent")


@pytest.fixture
def manager():
    return staff("manager", username="manager")


def client_for(user) -> APIClient:
    """Token auth, as clients call: every request loads its user afresh (no cached roles)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def add_cases(start: int, stop: int, *, agent) -> None:
    """Cases of every kind a list row shows: carrier-mismatch and missing-order flags, duplicates,
    claimed ones, credit cases in another queue."""
    for i in range(start, stop):
        kind = i % 5
        if kind == 0:  # declared China Unicom on a China Mobile (139) number
            case = open_case(
                customer_id=f"U{i}", order=order_data(order_id=f"R{i}", carrier="china_unicom")
            )
        elif kind == 1:  # a second complaint about the previous order: a duplicate
            case = open_case(customer_id=f"U{i - 1}", order=order_data(order_id=f"R{i - 1}"))
        elif kind == 2:
            case = open_case(customer_id=f"U{i}", order=None)  # missing_order
        elif kind == 3:
            case = open_case(
                customer_id=f"U{i}", category="credit_limit_unusable", order=None, credit=credit()
            )
        else:
            case = open_case(customer_id=f"U{i}", order=order_data(order_id=f"R{i}"))
        if i % 2:
            case_claim(actor=agent, case=case)


def count_queries(client, url: str) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(queries), response.json()


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("who", WHO)
def test_case_list_query_count_does_not_grow_with_rows(request, url, who, agent):
    client = client_for(request.getfixturevalue(who))
    add_cases(0, 3, agent=agent)
    few, few_body = count_queries(client, url)
    add_cases(3, 50, agent=agent)
    many, many_body = count_queries(client, url)

    assert len(many_body["results"]) > len(few_body["results"]), (few_body, many_body)
    message = (
        f"GET {url} as {who}: {few} queries for {len(few_body['results'])} rows, "
        f"{many} for {len(many_body['results'])} rows"
    )
    assert few == many, message
    assert many == LISTS[url][WHO.index(who)], message


def busy_case(*, customer_id: str):
    """A duplicate of an earlier case, with a carrier mismatch and a credit snapshot."""
    order = order_data(order_id=f"R-{customer_id}", carrier="china_unicom")
    open_case(customer_id=customer_id, order=order)
    return open_case(customer_id=customer_id, order=order, credit=credit())


def add_activity(case, *, agent, rounds: int) -> None:
    """Per round: a reply, a note, a customer message with a file and two status changes."""
    intake = staff("intake", username="intake")
    for i in range(rounds):
        case_reply(actor=agent, case=case, body=f"reply {i}")
        case_reply(actor=agent, case=case, body=f"note {i}", internal=True)
        case_transition(actor=agent, case=case, to="waiting_customer")
        case_customer_message(
            actor=intake,
            case=case,
            body=f"customer {i}",
            files=[IncomingFile(name=f"receipt-{i}.txt", data=b"receipt")],
        )


def add_refunds(case, *, agent, count: int) -> None:
    """Approved refunds of 1.00 each (one approval, no attempt yet: nothing is committed)."""
    supervisor = staff("supervisor", case.queue.code, username="supervisor")
    for i in range(count):
        refund = refund_request(
            actor=agent, case=case, amount="1.00", reason=f"部分退款 {i}", liability="company"
        )
        refund_approve(actor=supervisor, refund=refund)


def shown(body: dict) -> str:
    return ", ".join(
        f"{len(body[name])} {name}" for name in ("messages", "timeline", "refunds", "notifications")
    )


@pytest.mark.parametrize("who", WHO)
def test_case_detail_query_count_does_not_grow_with_messages_and_events(request, who, agent):
    client = client_for(request.getfixturevalue(who))
    case = busy_case(customer_id="U1")
    case_claim(actor=agent, case=case)
    add_activity(case, agent=agent, rounds=1)
    url = f"/api/v1/cases/{case.reference}/"
    few, few_body = count_queries(client, url)
    add_activity(case, agent=agent, rounds=13)
    many, many_body = count_queries(client, url)

    assert len(few_body["messages"]) == 3
    assert len(many_body["messages"]) == 3 + 13 * 3
    assert (len(few_body["attachments"]), len(many_body["attachments"])) == (1, 14)
    assert len(many_body["timeline"]) == CaseEvent.objects.filter(case=case).count() > 50
    assert len(many_body["notifications"]) == Notification.objects.filter(case=case).count()
    assert {flag["code"] for flag in many_body["risk_flags"]} == {"carrier_mismatch", "duplicate"}
    assert many_body["credit_account"] is not None
    message = (
        f"GET {url} as {who}: {few} queries with {shown(few_body)}, {many} with {shown(many_body)}"
    )
    assert few == many, message
    assert many == DETAIL[who], message


@pytest.mark.parametrize("who", WHO)
def test_case_detail_query_count_does_not_grow_with_refunds(request, who, agent):
    client = client_for(request.getfixturevalue(who))
    case = busy_case(customer_id="U1")
    case_claim(actor=agent, case=case)
    add_refunds(case, agent=agent, count=1)
    url = f"/api/v1/cases/{case.reference}/"
    few, few_body = count_queries(client, url)
    add_refunds(case, agent=agent, count=13)
    many, many_body = count_queries(client, url)

    assert (len(few_body["refunds"]), len(many_body["refunds"])) == (1, 14)
    assert all(len(refund["approvals"]) == 1 for refund in many_body["refunds"])
    message = (
        f"GET {url} as {who}: {few} queries with {shown(few_body)}, {many} with {shown(many_body)}"
    )
    assert few == many, message
    assert many == DETAIL_WITH_REFUNDS[who], message


def add_refund_rows(start: int, stop: int, *, agent) -> None:
    """One refund per case, in every state a list row shows before it is sent: pending, approved
    (one approval), rejected (one rejection); each on its own order, in both of the agent's queues."""
    supervisor = staff("supervisor", "recharge", "credit", username="supervisor")
    for i in range(start, stop):
        category = "credit_limit_unusable" if i % 4 == 3 else "recharge_not_credited"
        case = open_case(customer_id=f"U{i}", order=order_data(order_id=f"R{i}"), category=category)
        refund = refund_request(
            actor=agent, case=case, amount="10.00", reason=f"退款 {i}", liability="company"
        )
        if i % 3 == 1:
            refund_approve(actor=supervisor, refund=refund)
        elif i % 3 == 2:
            refund_reject(actor=supervisor, refund=refund, reason="不符合退款政策")


@pytest.mark.parametrize("who", WHO)
def test_refund_list_query_count_does_not_grow_with_rows(request, who, agent):
    client = client_for(request.getfixturevalue(who))
    add_refund_rows(0, 3, agent=agent)
    url = "/api/v1/refunds/?page_size=100"
    few, few_body = count_queries(client, url)
    add_refund_rows(3, 50, agent=agent)
    many, many_body = count_queries(client, url)

    assert (len(few_body["results"]), len(many_body["results"])) == (3, 50)
    assert {row["status"] for row in many_body["results"]} == {
        "pending_approval",
        "approved",
        "rejected",
    }
    assert sum(len(row["approvals"]) for row in many_body["results"]) == 50 - 17
    message = f"GET {url} as {who}: {few} queries for 3 rows, {many} for 50 rows"
    assert few == many, message
    assert many == REFUND_LIST[who], message


# --- cursor pagination ---------------------------------------------------------------------------


def walk(client, url: str) -> tuple[list[str], int]:
    references, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content[:500]
        body = response.json()
        references += [row["reference"] for row in body["results"]]
        pages += 1
        url = body["next"]
    return references, pages


# Cases tie on next_due_at (every case opened after hours is due at the same 11:00): the walks
# below only pass if the pagination breaks the ties the same way on every page.


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?ordering=created_at",
        "?ordering=-created_at",
        "?ordering=next_due_at",
        "?ordering=-next_due_at",
    ],
)
def test_cursor_pagination_returns_every_case_once(query, agent):
    add_cases(0, 30, agent=agent)
    client = client_for(UserFactory(username="root", is_superuser=True))

    first = client.get(f"/api/v1/cases/{query}").json()
    assert len(first["results"]) == 25
    assert first["next"] is not None
    assert first["previous"] is None
    references, pages = walk(client, f"/api/v1/cases/{query}")

    assert pages == 2
    assert len(references) == len(set(references)), "a case appears twice"
    assert set(references) == set(Case.objects.values_list("reference", flat=True))


@pytest.mark.parametrize(
    "query",
    ["?page_size=7", "?page_size=7&ordering=next_due_at", "?page_size=7&ordering=-next_due_at"],
)
def test_small_pages_walk_every_case_once(query, agent):
    add_cases(0, 30, agent=agent)
    client = client_for(UserFactory(username="root", is_superuser=True))

    references, pages = walk(client, f"/api/v1/cases/{query}")

    assert pages == 5
    assert sorted(references) == sorted(Case.objects.values_list("reference", flat=True))


@pytest.mark.parametrize(
    "ordering", [None, "created_at", "-created_at", "next_due_at", "-next_due_at"]
)
def test_the_cursor_ordering_is_total(ordering):
    """What cursor pagination orders by ends in a unique field, whatever `?ordering=` asks for."""
    query = {"ordering": ordering} if ordering else {}
    request = Request(APIRequestFactory().get("/api/v1/cases/", query))
    view = CaseViewSet(action="list", request=request, format_kwarg=None)

    fields = view.paginator.get_ordering(request, Case.objects.all(), view)

    assert fields[0].lstrip("-") == (ordering or "-created_at").lstrip("-")
    assert fields[-1].lstrip("-") in {"id", "pk", "reference"}, fields


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("next_due_at", ("next_due_at", "id")),
        ("-next_due_at", ("-next_due_at", "-id")),
        ("created_at", ("created_at", "id")),
    ],
)
def test_the_tiebreaker_runs_in_the_direction_of_the_ordering(ordering, expected):
    request = Request(APIRequestFactory().get("/api/v1/cases/", {"ordering": ordering}))
    view = CaseViewSet(action="list", request=request, format_kwarg=None)

    assert view.paginator.get_ordering(request, Case.objects.all(), view) == expected
