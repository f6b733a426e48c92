"""OpenAPI examples of the case endpoints, as spec/API.md shows them."""

from drf_spectacular.utils import OpenApiExample

ORDER = {
    "order_id": "R1",
    "phone": "+8613912345678",
    "intended_phone": "+8613912345679",
    "carrier": "china_unicom",
    "face_value": "50.00",
    "amount_paid": "50.00",
    "currency": "CNY",
    "status": "failed",
    "paid_at": "2026-09-30T09:58:00+08:00",
    "client_ip": "203.0.113.9",
}

INTAKE_REQUEST = OpenApiExample(
    "A top-up that did not arrive",
    summary="Recharge complaint with its order",
    request_only=True,
    value={
        "channel": "app",
        "category": "recharge_not_credited",
        "subject": "充值50元未到账",
        "description": "9:58 充值 50 元，话费一直没有到账。",
        "received_at": "2026-09-30T10:00:00+08:00",
        "customer": {
            "external_id": "U1001",
            "name": "张三",
            "phone": "+8613912345678",
            "email": "zhangsan@example.com",
        },
        "recharge_order": ORDER,
    },
)

CREDIT_INTAKE_REQUEST = OpenApiExample(
    "A credit limit that cannot be used",
    summary="Credit-limit complaint with the account snapshot",
    request_only=True,
    value={
        "channel": "hotline",
        "category": "credit_limit_unusable",
        "subject": "额度无法使用",
        "received_at": "2026-09-30T10:00:00+08:00",
        "customer": {"external_id": "U1002", "name": "李四", "phone": "+8613812345678"},
        "credit_account": {
            "limit": "5000.00",
            "available": "3200.00",
            "frozen": False,
            "overdue_days": 0,
            "recent_login_failures": 0,
        },
    },
)


def _clock(metric: str, due_at: str, remaining: float) -> dict:
    return {
        "metric": metric,
        "cycle": 1,
        "state": "active",
        "due_at": due_at,
        "started_at": "2026-09-30T10:00:00+08:00",
        "breached_at": None,
        "stopped_at": None,
        "remaining_business_minutes": remaining,
        "extension_level": 0,
        "past_verified": False,
    }


INTAKE_RESPONSE = OpenApiExample(
    "The case opened",
    summary="The new case with its clocks and risk flags",
    response_only=True,
    status_codes=["201"],
    value={
        "reference": "CS-20260930-000123",
        "status": "new",
        "channel": "app",
        "category": "recharge_not_credited",
        "priority": "p2",
        "queue": "recharge",
        "assignee": None,
        "customer": {"external_id": "U1001", "name": "张三", "phone": "+86 139****5678"},
        "sla": [
            _clock("first_response", "2026-09-30T12:00:00+08:00", 120.0),
            _clock("resolution", "2026-10-09T10:00:00+08:00", 2880.0),
            _clock("regulatory_decision", "2026-10-15T10:00:00+08:00", 21600.0),
        ],
        "risk_flags": [
            {
                "code": "carrier_mismatch",
                "detail": "Declared China Unicom, but the number's prefix belongs to China Mobile.",
            }
        ],
        "subject": "充值50元未到账",
        "sub_cause": "",
        "suggested_sub_cause": "",
        "root_cause": "",
        "cycle": 1,
        "next_due_at": "2026-09-30T12:00:00+08:00",
        "duplicate_of": None,
        "received_at": "2026-09-30T10:00:00+08:00",
        "created_at": "2026-09-30T10:00:02+08:00",
        "updated_at": "2026-09-30T10:00:02+08:00",
    },
)

ORDERS_BULK_REQUEST = OpenApiExample(
    "Several orders",
    summary="A list of orders, upserted by order_id",
    request_only=True,
    value=[
        ORDER,
        {
            "order_id": "R2",
            "phone": "+8613912345678",
            "carrier": "china_mobile",
            "face_value": "100.00",
            "amount_paid": "99.50",
            "currency": "CNY",
            "status": "succeeded",
            "paid_at": "2026-09-30T10:05:00+08:00",
            "client_ip": "203.0.113.9",
        },
    ],
)

ORDER_REQUEST = OpenApiExample(
    "One order", summary="A single order object", request_only=True, value=ORDER
)
