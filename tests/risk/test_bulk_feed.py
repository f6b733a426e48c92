"""Acceptance: 1,000 recharge orders in one request from 50 IPs, three of them in failure bursts."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from cases.choices import EventType
from cases.models import Case, CaseEvent, CaseFlag, RechargeOrder
from casework.services import case_transition
from risk.models import FlaggedIp
from tests.support.factories import staff
from tests.support.risk_factories import at, case_from

pytestmark = pytest.mark.django_db

IPS = [f"198.51.100.{n}" for n in range(1, 51)]
BURST_IPS = IPS[:3]
PER_IP = 20  # 50 × 20 = 1,000 orders


def burst_start(ip_index: int):
    return at(9) + timedelta(minutes=40 * ip_index)


def order_body(order_id: str, ip: str, placed_at, status: str) -> dict:
    return {
        "order_id": order_id,
        "phone": "+8613912345678",
        "carrier": "china_mobile",
        "face_value": "50.00",
        "amount_paid": "50.00",
        "status": status,
        "paid_at": placed_at.isoformat(),
        "client_ip": ip,
    }


def orders_for(index: int, ip: str) -> list[dict]:
    """Burst IPs: 6 failures 90 s apart (7.5 minutes) among succeeded orders spread over the day.
    The others: 8 failures 3 minutes apart (at most 4 within any 10 minutes) and successes."""
    start = burst_start(index)
    if ip in BURST_IPS:
        fails = [start + timedelta(seconds=90 * k) for k in range(6)]
    else:
        fails = [start + timedelta(minutes=3 * k) for k in range(8)]
    body = [order_body(f"B-{ip}-f{k}", ip, t, "failed") for k, t in enumerate(fails)]
    for k in range(PER_IP - len(fails)):
        placed = start - timedelta(hours=2) + timedelta(minutes=17 * k)
        body.append(order_body(f"B-{ip}-s{k}", ip, placed, "succeeded"))
    return body


def test_one_request_of_1000_orders_flags_exactly_the_burst_ips_and_their_open_cases():
    # Open cases linked to orders from several IPs; their orders come again in the feed as failed.
    linked = {}
    for index in (0, 1, 2, 10, 11):
        ip = IPS[index]
        # In the burst window of a burst IP; an hour before the failures of the others.
        placed = burst_start(index) - (timedelta(0) if ip in BURST_IPS else timedelta(hours=1))
        linked[ip] = [case_from(ip, placed, n=n) for n in range(2)]
    closed = case_from(BURST_IPS[0], burst_start(0) + timedelta(minutes=2), n=9)
    agent = staff("agent", "recharge")
    case_transition(actor=agent, case=closed, to="resolved", root_cause="fraud")
    body = [order for index, ip in enumerate(IPS) for order in orders_for(index, ip)]
    for ip, cases in linked.items():  # the cases' own orders, reported failed by the feed
        for n, case in enumerate(cases):
            body[IPS.index(ip) * PER_IP + PER_IP - 1 - n] = order_body(
                case.recharge_order.order_id, ip, case.recharge_order.placed_at, "failed"
            )
    assert len(body) == 1000
    client = APIClient()
    client.force_authenticate(staff("intake", username="recharge-system"))
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/v1/recharge-orders/", body, format="json")

    assert response.status_code == 201, response.content
    assert (response.json()["created"], response.json()["updated"]) == (990, 10)
    assert len(response.json()["orders"]) == 1000
    assert RechargeOrder.objects.count() == 1000 + 1  # and the closed case's order
    assert set(FlaggedIp.objects.values_list("ip", "status")) == {
        (ip, "active") for ip in BURST_IPS
    }
    expected = {c.pk for ip in BURST_IPS for c in linked[ip]}
    flagged = set(CaseFlag.objects.filter(code="ip_failure_burst").values_list("case", flat=True))
    assert flagged == expected
    assert CaseEvent.objects.filter(type=EventType.FLAG_RAISED, case__in=expected).count() == 6
    assert not Case.objects.get(pk=closed.pk).flags.exists()
    entry = FlaggedIp.objects.get(ip=BURST_IPS[0])
    # 6 feed failures plus the two cases' own orders (failed now) at the burst's start.
    assert (entry.failures, entry.burst_from) == (8, burst_start(0))
    assert len(queries) < 200  # set-based: not a query per order


def test_a_list_of_one_and_a_single_object_go_through_the_same_rule():
    client = APIClient()
    client.force_authenticate(staff("intake"))
    ip = IPS[0]
    for k in range(4):
        order = order_body(f"S{k}", ip, at(10, k), "failed")
        response = client.post("/api/v1/recharge-orders/", order, format="json")
        assert response.status_code == 201
    assert not FlaggedIp.objects.exists()
    response = client.post(
        "/api/v1/recharge-orders/", [order_body("S4", ip, at(10, 4), "failed")], format="json"
    )
    assert response.status_code == 201
    assert list(FlaggedIp.objects.values_list("ip", flat=True)) == [ip]


def test_repeated_order_ids_in_one_request_are_one_order_the_last_wins():
    client = APIClient()
    client.force_authenticate(staff("intake"))
    body = [
        order_body("DUP", IPS[0], at(10), "pending"),
        order_body("DUP", IPS[0], at(10), "failed"),
    ]
    response = client.post("/api/v1/recharge-orders/", body, format="json")
    assert response.status_code == 201
    assert response.json()["created"] == 1
    assert RechargeOrder.objects.get().status == "failed"
    assert [o["status"] for o in response.json()["orders"]] == ["failed", "failed"]
