"""A small, realistic queue for the journeys and the screenshots, written through the services."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from cases.models import Case
from casework.services import case_claim, case_reply
from sla.models import SlaClock
from tests.support.factories import credit, open_case, order_data, staff

SUBJECTS = [
    ("recharge_not_credited", "充值50元一直没到账", "50.00", "china_mobile", "+8613912345678"),
    ("recharge_wrong_number", "充错号码了，请帮忙撤回", "100.00", "china_mobile", "+8613800138000"),
    ("recharge_wrong_carrier", "联通号码被当成移动充值", "30.00", "china_mobile", "+8613012345678"),
    (
        "recharge_duplicate_charge",
        "一笔充值被扣了两次",
        "200.00",
        "china_telecom",
        "+8618912345678",
    ),
    (
        "recharge_wrong_amount",
        "本想充10元，误充了100元",
        "100.00",
        "china_unicom",
        "+8615512345678",
    ),
    (
        "recharge_not_credited",
        "话费充值显示成功但没收到",
        "20.00",
        "china_mobile",
        "+8613712345678",
    ),
]


class Team:
    def __init__(self):
        self.agent = staff("agent", "recharge", "credit", username="li.na")
        self.agent2 = staff("agent", "recharge", username="wang.fang")
        self.supervisor = staff("supervisor", "recharge", "credit", username="zhang.wei")
        self.finance = staff("finance", username="chen.jing")


def seed_queue(team: Team) -> list:
    """Six recharge cases (one claimed by a colleague, with a reply) and one credit-limit case."""
    cases = []
    for i, (category, subject, amount, carrier, phone) in enumerate(SUBJECTS):
        cases.append(
            open_case(
                customer_id=f"C{1000 + i}",
                category=category,
                subject=subject,
                order=order_data(
                    order_id=f"RC2026{1000 + i}",
                    phone=phone,
                    carrier=carrier,
                    face_value=Decimal(amount),
                    amount_paid=Decimal(amount),
                    status="failed" if category == "recharge_not_credited" else "succeeded",
                ),
            )
        )
    _sla_variety(cases)
    case_claim(actor=team.agent2, case=cases[3])
    case_reply(actor=team.agent2, case=cases[3], body="您好，已收到反馈，正在核实重复扣款。")
    cases.append(
        open_case(
            customer_id="C2000",
            category="credit_limit_unusable",
            subject="额度显示5000元但付款提示额度已用完",
            order=None,
            credit=credit(available=Decimal("0.00"), recent_login_failures=6),
        )
    )
    return cases


def _sla_variety(cases) -> None:
    """One case past 75% of its first-response target, one past due (as the sweep would see)."""
    at_risk = SlaClock.objects.filter(case=cases[5], metric="first_response")
    at_risk.update(fired="warn_50,warn_75", next_threshold="breach")
    due = timezone.now() - timedelta(minutes=30)
    late = SlaClock.objects.filter(case=cases[4], metric="first_response")
    late.update(due_at=due, original_due_at=due)
    Case.objects.filter(pk=cases[4].pk).update(next_due_at=due)
