"""The bulk intake's tests: varied complaints and a comparable picture of everything a case's intake
wrote (ids, tokens and the moment of writing left out: they differ between two runs)."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from backoffice.audit.models import AuditEntry
from cases.models import CaseEvent, CaseFlag, ContactChange, CreditAccountSnapshot, Customer
from casework.services import Complaint, CustomerData
from notifications.models import Notification
from portal.models import CustomerLink
from regulatory.models import CaseCoding
from sla.models import SlaClock
from tests.support.factories import credit, order_data

SHANGHAI = ZoneInfo("Asia/Shanghai")
VOLATILE = {
    *("id", "case", "created_at", "updated_at", "occurred_at", "token_hash", "expires_at"),
    *("body", "not_before"),  # a status link token in the body; quiet hours from now
    "subject_key",  # case:<id>
    *("captured_at", "requested_at"),
}
ID_KEYS = {"clock", "notification", "change_id", "link"}  # ids inside event payloads


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 30, hour, minute, tzinfo=SHANGHAI)


def varied_complaints() -> list[Complaint]:
    """New and known customer, failed order, carrier mismatch, held contact change, credit
    suggestions on a round-robin queue, a duplicate of an earlier complaint of the same batch, a
    regulator referral without its order."""
    return [
        Complaint(
            channel="app",
            category="recharge_not_credited",
            subject="充值50元未到账",
            customer=CustomerData(external_id="U1", name="张三", phone="+8613912345678"),
            received_at=at(10),
            recharge_order=order_data(order_id="R1", paid_at=at(9, 55)),
        ),
        Complaint(
            channel="hotline",
            category="recharge_wrong_carrier",
            subject="运营商选错",
            customer=CustomerData(external_id="K1", name="老客户", phone="+8613700000002"),
            received_at=at(10, 5),
            recharge_order=order_data(
                order_id="R2", carrier="china_unicom", paid_at=at(9), client_ip="198.51.100.7"
            ),
        ),
        Complaint(
            channel="app",
            category="credit_limit_unusable",
            subject="额度用不了",
            customer=CustomerData(external_id="U3", phone="+8613912340003", email="u3@example.com"),
            received_at=at(10, 10),
            credit_account=credit(frozen=True),
        ),
        Complaint(
            channel="web",
            category="recharge_not_credited",
            subject="还是没到账",
            customer=CustomerData(external_id="U1", name="张三", phone="+8613912345678"),
            received_at=at(10, 15),
            recharge_order=order_data(order_id="R1", paid_at=at(9, 55)),
        ),
        Complaint(
            channel="app",
            category="credit_limit_unusable",
            subject="逾期",
            customer=CustomerData(external_id="U5", phone="+8613912340005"),
            received_at=at(10, 20),
            credit_account=credit(overdue_days=3, available=Decimal("0.00")),
        ),
        Complaint(
            channel="regulator",
            category="recharge_wrong_number",
            subject="监管转办",
            customer=CustomerData(external_id="U6", name="王五", phone="+8613912340006"),
            received_at=at(10, 25),
        ),
        Complaint(
            channel="app",
            category="recharge_wrong_amount",
            subject="金额不对",
            customer=CustomerData(external_id="U7", phone="+8613912340007"),
            received_at=at(10, 30),
            recharge_order=order_data(
                order_id="R7", amount_paid=Decimal("1200.00"), face_value=Decimal("1200.00")
            ),
        ),
        *burst_from_one_ip(),
    ]


def burst_from_one_ip() -> list[Complaint]:
    """Six failed top-ups from one IP within ten minutes: the fifth makes a burst (the watch list,
    a flag and a raised priority on the four cases before it, opened in the same batch), the
    sixth is opened on a watched IP."""
    return [
        Complaint(
            channel="app",
            category="recharge_not_credited",
            subject="充值失败",
            customer=CustomerData(external_id=f"IP{i}", phone=f"+86139123411{i:02d}"),
            received_at=at(10, 40 + i),
            recharge_order=order_data(
                order_id=f"RIP{i}",
                phone=f"+86139123411{i:02d}",
                client_ip="192.0.2.50",
                paid_at=at(9, 50 + i),
            ),
        )
        for i in range(6)
    ]


def _rows(queryset, order: tuple[str, ...]) -> list[dict]:
    return [
        {k: v for k, v in row.items() if k not in VOLATILE and not k.endswith("_id")}
        for row in queryset.order_by(*order).values()
    ]


def _payload(payload: dict) -> dict:
    return {k: v for k, v in payload.items() if k not in ID_KEYS}


def picture(case) -> dict:
    """Everything one case's intake wrote, comparable between two runs."""
    case.refresh_from_db()
    notifications = Notification.objects.filter(case=case)
    return {
        "case": {
            "reference": case.reference,
            "status": case.status,
            "queue": case.queue.code,
            "priority": case.priority,
            "assignee": case.assignee.username if case.assignee else None,
            "duplicate_of": case.duplicate_of.reference if case.duplicate_of else None,
            "suggested_sub_cause": case.suggested_sub_cause,
            "next_due_at": case.next_due_at,
            "received_at": case.received_at,
            "incident": case.incident.code if case.incident else None,
            "customer": case.customer.external_id,
            "order": case.recharge_order.order_id if case.recharge_order else None,
        },
        "flags": _rows(CaseFlag.objects.filter(case=case), ("code",)),
        "clocks": _rows(SlaClock.objects.filter(case=case), ("metric",)),
        "events": [
            (e.type, _payload(e.payload), e.actor_id)
            for e in CaseEvent.objects.filter(case=case).order_by("id")
        ],
        "notifications": _rows(notifications.exclude(), ("purpose", "channel")),
        "links": CustomerLink.objects.filter(case=case).count(),
        "coding": _rows(CaseCoding.objects.filter(case=case), ("id",)),
        "credit": _rows(CreditAccountSnapshot.objects.filter(case=case), ("id",)),
        "audit": [
            (a.action, a.payload, a.actor_label)
            for a in AuditEntry.objects.filter(object_id=case.reference).order_by("seq")
        ],
    }


def bodies_without_links(case) -> list[str]:
    """The acknowledgements' bodies up to their status link (a token, new for each link)."""
    return [n.body.split("http")[0] for n in Notification.objects.filter(case=case)]


def customers() -> list[dict]:
    return _rows(Customer.objects.all(), ("external_id",))


def contact_changes() -> list[dict]:
    return _rows(ContactChange.objects.all(), ("customer__external_id",))
