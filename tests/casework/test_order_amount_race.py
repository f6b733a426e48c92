"""An amount change from the feed and a refund request at the same moment (PostgreSQL, threads):
both take the order's row lock, so a refund is never worked out from an amount the feed is
replacing. Whatever the order, the end state is consistent: either the refund stands on the
unchanged 50.00, or the amount is 0.00 and the refund was refused."""

from decimal import Decimal

import pytest

from backoffice.audit.services import audit_verify
from backoffice.errors import Invalid
from cases.models import RechargeOrder
from casework.services import recharge_orders_upsert
from refunds.models import Refund
from refunds.services import refund_request
from tests.support.concurrency import run_concurrently
from tests.support.factories import open_case, order_data, staff

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TRIALS = 6


def race(agent, case, zero):
    def call(i: int):
        if i == 0:
            return refund_request(
                actor=agent, case=case, amount="50.00", reason="全额退款", liability="company"
            )
        return recharge_orders_upsert(actor=None, items=[zero])

    return call


def test_a_refund_and_an_amount_change_at_once_never_both_win():
    agent = staff("agent", "recharge", username="agent")
    outcomes = set()
    for trial in range(TRIALS):
        case = open_case(
            customer_id=f"U{trial}",
            order=order_data(order_id=f"R{trial}", client_ip=f"198.51.100.{trial + 1}"),
        )
        zero = order_data(
            order_id=f"R{trial}", amount_paid=Decimal("0.00"), client_ip=f"198.51.100.{trial + 1}"
        )
        results = run_concurrently(2, race(agent, case, zero))

        order = RechargeOrder.objects.get(order_id=f"R{trial}")
        refunds = Refund.objects.filter(order=order).count()
        refused = [r for r in results if isinstance(r, Invalid)]
        assert [r for r in results if isinstance(r, Exception) and r not in refused] == []
        assert len(refused) == 1, results
        if refunds:
            assert order.amount_paid == Decimal("50.00")
            assert list(refused[0].errors) == ["0"]  # the feed's change was refused
            outcomes.add("refund first")
        else:
            assert order.amount_paid == Decimal("0.00")
            assert "amount" in refused[0].errors  # nothing left to refund
            outcomes.add("feed first")
    assert outcomes  # at least one order of events seen; both are consistent
    assert audit_verify()[1] is None
