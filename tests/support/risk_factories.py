"""Builders for the risk tests: times on one local morning, failed top-ups from an IP, rule edits."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import translation

from cases.models import Case, Customer
from casework.services import CustomerData, customer_upsert, recharge_order_upsert
from risk.models import RiskRule
from risk.texts import detail_text
from tests.support.factories import open_case, order_data

SH = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 9, 30, tzinfo=SH)


def at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A time on the test day, local (Asia/Shanghai)."""
    return DAY + timedelta(hours=hour, minutes=minute, seconds=second)


def rule(code: str, **changes) -> RiskRule:
    """The seeded rule, changed and saved (the tests read configuration fresh)."""
    instance = RiskRule.objects.get(code=code)
    for name, value in changes.items():
        setattr(instance, name, value)
    instance.save()
    return instance


def failures(ip: str, times, *, prefix: str = "F", status: str = "failed", **extra) -> list:
    """One order per time from `ip` (failed unless told), ids `<prefix>-<ip>-<n>`."""
    return [
        order_data(order_id=f"{prefix}-{ip}-{n}", client_ip=ip, paid_at=t, status=status, **extra)
        for n, t in enumerate(times)
    ]


def customer(external_id: str) -> Customer:
    return customer_upsert(data=CustomerData(external_id=external_id, name="李四"))


def history(external_id: str, amounts, *, start: datetime | None = None) -> Customer:
    """Earlier succeeded orders of a customer, one a day before `start` (oldest first)."""
    cust = customer(external_id)
    start = start or at(10)
    for n, amount in enumerate(amounts):
        placed = start - timedelta(days=len(amounts) - n)
        recharge_order_upsert(
            data=order_data(
                order_id=f"H-{external_id}-{n}",
                amount_paid=Decimal(amount),
                face_value=Decimal(amount),
                status="succeeded",
                paid_at=placed,
                client_ip=None,
            ),
            customer=cust,
        )
    return cust


def case_from(ip: str, placed_at: datetime, *, n: int = 0, status: str = "pending", **kw) -> Case:
    """An open case (its own customer) whose order came from `ip` at `placed_at`."""
    return open_case(
        customer_id=f"C-{ip}-{n}",
        order=order_data(order_id=f"CASE-{ip}-{n}", client_ip=ip, paid_at=placed_at, status=status),
        **kw,
    )


def flag_codes(case: Case, *, active: bool = True) -> list[str]:
    flags = case.flags.all()
    if active:
        flags = flags.filter(cleared_at__isnull=True)
    return sorted(flags.values_list("code", flat=True))


def in_english(stored: str) -> str:
    """A flag's stored evidence as an English reader sees it (risk.texts)."""
    with translation.override("en"):
        return detail_text(stored)
