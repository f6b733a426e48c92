"""Races on PostgreSQL: the order's row lock keeps Σ of refunds ≤ the amount paid."""

from decimal import Decimal

import pytest

from backoffice.errors import Invalid
from refunds.models import Refund
from tests.concurrency import run_concurrently
from tests.refunds.factories import People, paid_case, request_refund

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_refunds_cannot_exceed_the_paid_amount():
    people = People()
    case = paid_case("100.00")
    results = run_concurrently(8, lambda i: request_refund(people.agent, case, "30.00"))
    created = [r for r in results if isinstance(r, Refund)]
    refused = [r for r in results if isinstance(r, Invalid)]
    assert (len(created), len(refused)) == (3, 5), results
    total = sum(r.amount for r in Refund.objects.filter(order=case.recharge_order))
    assert total == Decimal("90.00")
    assert all(list(e.errors) == ["amount"] for e in refused)


def test_concurrent_split_refunds_are_tiered_on_their_running_total():
    people = People()
    case = paid_case("400.00")
    results = run_concurrently(4, lambda i: request_refund(people.agent, case, "100.00"))
    assert all(isinstance(r, Refund) for r in results), results
    cumulative = sorted(r.cumulative_amount for r in results)
    assert cumulative == [
        Decimal("100.00"),
        Decimal("200.00"),
        Decimal("300.00"),
        Decimal("400.00"),
    ]
