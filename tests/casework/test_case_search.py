"""`POST /api/v1/cases/search/`: the list's filters in a body, so that a phone number searched for
never sits in a URL (issue 21, finding 9: full numbers in query strings reached access logs)."""

import pytest
from rest_framework.test import APIClient

from cases.models import Case
from tests.support.factories import open_case, order_data, staff

pytestmark = pytest.mark.django_db

PHONE = "+8613912345678"
OTHER_PHONE = "+8613800000001"  # the other order's number


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def refs(body) -> list[str]:
    return [row["reference"] for row in body["results"]]


@pytest.fixture
def cases():
    """Three cases on orders of one number and one on another number's order."""
    mine = [open_case(order=order_data(order_id=f"R{i}")) for i in range(3)]
    other = open_case(customer_id="U2", order=order_data(order_id="R9", phone="+8613800000001"))
    Case.objects.filter(pk__in=[mine[0].pk, mine[1].pk]).update(status="in_progress")
    return mine, other


def test_search_by_phone_in_the_body_finds_what_the_query_string_finds(cases):
    _, other = cases
    client = client_for(staff("agent", "recharge"))
    for phone, expected in [(PHONE, 4), (OTHER_PHONE, 1)]:
        by_get = client.get("/api/v1/cases/", {"q": phone})
        by_post = client.post("/api/v1/cases/search/", {"q": phone}, format="json")
        assert by_post.status_code == 200, by_post.content
        assert refs(by_post.json()) == refs(by_get.json())
        assert len(refs(by_post.json())) == expected
    assert refs(by_post.json()) == [other.reference]


def test_search_takes_repeated_filters_as_lists_and_pages_with_the_cursor(cases):
    mine, _ = cases
    client = client_for(staff("agent", "recharge"))
    body = {"status": ["in_progress", "waiting_customer"], "q": PHONE}
    first = client.post("/api/v1/cases/search/?page_size=1", body, format="json").json()
    second = client.post(first["next"], body, format="json").json()
    assert PHONE not in first["next"]
    found = refs(first) + refs(second)
    assert sorted(found) == sorted(c.reference for c in mine[:2])
    assert second["next"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": ["nope"]}, "status"),
        ({"queue": ["nope"]}, "queue"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"q": "x" * 101}, "q"),
        ({"breached": "maybe"}, "breached"),
        ({"breached": 0}, "breached"),
    ],
)
def test_search_names_the_bad_filter(cases, body, field):
    response = client_for(staff("agent", "recharge")).post(
        "/api/v1/cases/search/", body, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_the_intake_role_cannot_search(cases):
    response = client_for(staff("intake")).post(
        "/api/v1/cases/search/", {"q": PHONE}, format="json"
    )
    assert response.status_code == 403
