"""Intake bodies: the product's `POST /api/v1/cases/` (spec/API.md) and the baseline's ticket."""

import random
from datetime import UTC, datetime

RECHARGE = [
    "recharge_wrong_number",
    "recharge_wrong_carrier",
    "recharge_wrong_amount",
    "recharge_not_credited",
    "recharge_duplicate_charge",
]
CARRIERS = ["china_mobile", "china_unicom", "china_telecom"]
CHANNELS = ["app", "app", "app", "hotline", "web", "email", "api"]
FACE_VALUES = ["30.00", "50.00", "100.00", "200.00"]


class Payloads:
    """Bodies for one run: a new order id per case, customers drawn from the seeded ones."""

    def __init__(self, *, customers: int, tag: str, seed: int = 7):
        self.customers = max(1, customers)
        self.tag = tag
        self.random = random.Random(seed)
        self.count = 0

    def _phone(self) -> str:
        return f"+86139{self.random.randrange(10**8):08d}"

    def _client_ip(self) -> str:
        """As bench/seed.py spreads them: customers' own addresses, and 1 in 100 from a handful of
        addresses that fail in bursts (so the risk feed's burst path runs at its share). Before
        2026-12-05 every order came from 254 addresses with a quarter failed, which kept every
        address in a permanent failure burst and most recharge intakes on the fraud path."""
        r = self.random
        if r.random() < 0.01:
            return f"223.104.{r.randrange(1, 5)}.{r.randrange(10, 15)}"
        return f"{r.choice([36, 58, 101, 112, 120, 183, 202, 223])}.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}"

    def case(self) -> dict:
        r = self.random
        self.count += 1
        external = f"U{r.randrange(1, self.customers + 1):010d}"
        phone = self._phone()
        category = r.choice([*RECHARGE, "credit_limit_unusable", "other"])
        body = {
            "channel": r.choice(CHANNELS),
            "category": category,
            "subject": "充值未到账" if category.startswith("recharge") else "额度无法使用",
            "description": "客户来电反映问题，请核实处理。",
            "customer": {"external_id": external, "name": "张伟", "phone": phone},
        }
        if category.startswith("recharge"):
            face = r.choice(FACE_VALUES)
            body["recharge_order"] = {
                "order_id": f"BR-{self.tag}-{self.count}",
                "phone": phone,
                "carrier": r.choice(CARRIERS),
                "face_value": face,
                "amount_paid": face,
                "currency": "CNY",
                "status": r.choice(["succeeded", "succeeded", "failed", "pending"]),
                "paid_at": datetime.now(UTC).isoformat(),
                "client_ip": self._client_ip(),
            }
        elif category == "credit_limit_unusable":
            body["credit_account"] = {
                "limit": "5000.00",
                "available": "3200.00",
                "frozen": False,
                "overdue_days": 0,
                "recent_login_failures": 0,
            }
        return body

    def ticket(self) -> dict:
        self.count += 1
        return {
            "external_id": f"U{self.random.randrange(1, self.customers + 1):010d}",
            "subject": "充值未到账",
            "amount": self.random.choice(FACE_VALUES),
            "currency": "CNY",
        }
