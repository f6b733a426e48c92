"""`GET /api/v1/risk/flagged-ips/`: who may read it, what a row shows, its query count."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from casework.services import recharge_orders_upsert
from risk.models import FlaggedIp
from risk.services import risk_ip_clear
from tests.support.factories import staff
from tests.support.risk_factories import at, case_from, failures

pytestmark = pytest.mark.django_db
URL = "/api/v1/risk/flagged-ips/"


def client_for(user=None) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_authenticate(user)
    return client


def burst(ip: str, start=None, cases: int = 0) -> None:
    start = start or at(10)
    for n in range(cases):
        case_from(ip, start, n=n)
    recharge_orders_upsert(
        actor=None, items=failures(ip, [start + timedelta(minutes=m) for m in range(6)])
    )


@pytest.mark.parametrize(
    ("role", "status"),
    [("supervisor", 200), ("manager", 200), ("finance", 200), ("agent", 403), ("intake", 403)],
)
def test_who_may_read_the_watch_list(role, status):
    assert client_for(staff(role)).get(URL).status_code == status


def test_anonymous_is_401():
    assert client_for().get(URL).status_code == 401


def test_a_row_shows_the_burst_and_its_open_cases():
    burst("198.51.100.1", cases=2)
    burst("198.51.100.2", start=at(11))
    response = client_for(staff("manager")).get(URL)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["ip"] for r in rows] == ["198.51.100.2", "198.51.100.1"]  # latest burst first
    first = rows[1]
    assert first == {
        "ip": "198.51.100.1",
        "status": "active",
        "first_seen": "2026-09-30T10:00:00+08:00",
        "last_seen": "2026-09-30T10:05:00+08:00",
        "failures": 6,
        "burst_from": "2026-09-30T10:00:00+08:00",
        "burst_to": "2026-09-30T10:05:00+08:00",
        "linked_open_cases": 2,
        "cleared_at": None,
        "cleared_by": None,
        "clear_reason": "",
    }
    assert rows[0]["linked_open_cases"] == 0


def test_filter_by_status():
    burst("198.51.100.1")
    burst("198.51.100.2")
    FlaggedIp.objects.filter(ip="198.51.100.2").update(
        status="cleared", cleared_at=at(12), clear_reason="x"
    )
    api = client_for(staff("supervisor"))
    assert [r["ip"] for r in api.get(URL, {"status": "cleared"}).json()["results"]] == [
        "198.51.100.2"
    ]
    assert api.get(URL, {"status": "nope"}).status_code == 400


def watched_ips(start: int, stop: int, *, supervisor) -> None:
    """IPs on the watch list, one burst each an hour apart; every third with two open cases, every
    fourth cleared by a supervisor (rows show who cleared them and count their open cases)."""
    for n in range(start, stop):
        ip = f"198.51.100.{n + 1}"
        burst(ip, start=at(0) + timedelta(hours=n), cases=2 if n % 3 == 0 else 0)
        if n % 4 == 1:
            risk_ip_clear(actor=supervisor, ip=ip, reason="运营商网络故障，已核实")


def test_query_count_does_not_grow_with_the_rows():
    user = staff("manager")
    url = f"{URL}?page_size=100"

    def count() -> tuple[int, list]:
        fresh = get_user_model().objects.get(pk=user.pk)  # its roles not cached yet
        with CaptureQueriesContext(connection) as queries:
            response = client_for(fresh).get(url)
        assert response.status_code == 200
        return len(queries), response.json()["results"]

    supervisor = staff("supervisor", username="clearer")
    watched_ips(0, 3, supervisor=supervisor)
    few, few_rows = count()
    watched_ips(3, 50, supervisor=supervisor)
    many, many_rows = count()

    assert (len(few_rows), len(many_rows)) == (3, 50)
    assert sum(row["cleared_by"] == "clearer" for row in many_rows) == 13
    assert sum(row["linked_open_cases"] for row in many_rows) == 2 * 17
    message = f"GET {url}: {few} queries for 3 rows, {many} for 50 rows"
    assert few == many == 2, message  # the user's roles, the page (with the count subquery)
