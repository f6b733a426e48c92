"""The risk rules' intake cost does not grow with the orders table: index range scans only."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import RechargeOrder
from casework.services import recharge_orders_upsert
from tests.support.factories import open_case, order_data
from tests.support.risk_factories import at, history

pytestmark = pytest.mark.django_db


def other_customers_orders(count: int) -> None:
    """`count` failed orders of nobody's, from many IPs, spread so that none bursts."""
    recharge_orders_upsert(
        actor=None,
        items=[
            order_data(
                order_id=f"O{n}",
                client_ip=f"10.0.{n % 200}.{n % 7}",
                paid_at=at(10) - timedelta(hours=n),
                status="failed" if n % 2 else "succeeded",
            )
            for n in range(count)
        ],
    )


def intake_queries(n: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        open_case(
            customer_id=f"U{n}",
            category="recharge_wrong_amount",
            order=order_data(
                order_id=f"NEW{n}",
                amount_paid=Decimal("60.00"),
                paid_at=at(10),
                amount_edits=1,
            ),
        )
    return len(queries)


def test_intake_query_count_is_the_same_with_10_or_200_earlier_orders():
    for customer in ("U1", "U2"):
        history(customer, ["50.00"] * 5)  # the customers' own history: same size for both
    other_customers_orders(10)
    small = intake_queries(1)
    RechargeOrder.objects.filter(order_id__startswith="O").delete()
    other_customers_orders(200)
    assert RechargeOrder.objects.filter(order_id__startswith="O").count() == 200
    assert intake_queries(2) == small
