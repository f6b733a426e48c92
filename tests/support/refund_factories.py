from decimal import Decimal

from refunds.services import refund_approve, refund_request
from tests.support.factories import open_case, order_data, staff


def paid_case(amount="50.00", *, customer_id="U1001", order_id="R1", **kwargs):
    return open_case(
        customer_id=customer_id,
        order=order_data(
            order_id=order_id, amount_paid=Decimal(amount), face_value=Decimal(amount)
        ),
        **kwargs,
    )


def request_refund(actor, case, amount="50.00", **overrides):
    values = {"reason": "充值失败，全额退款", "liability": "company"}
    values.update(overrides)
    return refund_request(actor=actor, case=case, amount=Decimal(amount), **values)


class People:
    """Staff of the recharge queue, one per role, plus a second finance approver."""

    def __init__(self):
        self.agent = staff("agent", "recharge", username="agent")
        self.agent2 = staff("agent", "recharge", username="agent2")
        self.supervisor = staff("supervisor", "recharge", username="sup")
        self.finance = staff("finance", username="fin")
        self.finance2 = staff("finance", username="fin2")
        self.manager = staff("manager", username="boss")


def approved_refund(people, amount="50.00", **kwargs):
    case = paid_case(amount, **kwargs)
    refund = request_refund(people.agent, case, amount)
    return refund_approve(actor=people.supervisor, refund=refund)
