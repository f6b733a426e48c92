"""A customer with all three personal fields, on a case in the `recharge` queue."""

from casework.services import CustomerData, case_open
from tests.support.factories import order_data

PHONE, MASKED_PHONE = "+8613912345678", "+86 139****5678"
EMAIL, MASKED_EMAIL = "zhang.sanfeng@example.com", "z***@example.com"
NAME, MASKED_NAME = "张三丰", "张**"
FULL = {"phone": PHONE, "email": EMAIL, "name": NAME}
MASKED = {"phone": MASKED_PHONE, "email": MASKED_EMAIL, "name": MASKED_NAME}


def customer_case(external_id: str = "U1001", **customer):
    values = {"name": NAME, "phone": PHONE, "email": EMAIL, **customer}
    return case_open(
        actor=None,
        customer=CustomerData(external_id=external_id, **values),
        recharge_order=order_data(order_id=f"R-{external_id}"),
        channel="app",
        category="recharge_not_credited",
        subject="充值50元未到账",
    )
