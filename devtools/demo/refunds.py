"""Demo refunds in every status, made through the real services and the real pipeline against the
provider sandbox the demo command starts first (faults switched on and off through its control
endpoint). Idempotent: nothing is added when demo refunds exist."""

import random
from decimal import Decimal

import requests
from django.conf import settings
from django.contrib.auth import get_user_model

from backoffice.errors import DomainError
from cases.models import Case
from refunds import processing
from refunds.models import Refund
from refunds.reconcile import reconcile
from refunds.services import refund_approve, refund_cancel, refund_reject, refund_request

REASONS = [
    ("充值未到账，全额退回额度", "company", "recharge_not_credited"),
    ("重复扣款，退回重复部分", "company", "recharge_duplicate_charge"),
    ("运营商充值失败，退回额度", "carrier", "recharge_wrong_carrier"),
    ("输错号码，按政策给予部分补偿", "customer", "recharge_wrong_number"),
]
# status wanted → how many
PLAN = [
    ("pending_approval", 6),
    ("approved", 2),
    ("rejected", 2),
    ("cancelled", 1),
    ("succeeded", 8),
    ("failed", 2),
    ("needs_review", 1),  # before outcome_unknown: the reconciler hands every old unknown over
    ("outcome_unknown", 1),
]


def _control(**faults) -> None:
    response = requests.post(f"{settings.REFUND_PROVIDER_URL}/_control", json=faults, timeout=5)
    response.raise_for_status()


def _sandbox_up() -> bool:
    try:
        return requests.get(f"{settings.REFUND_PROVIDER_URL}/_health", timeout=2).ok
    except requests.RequestException:
        return False


def seed(*, seed: int = 20260930, progress=None) -> dict:
    if Refund.objects.exists():
        return {"skipped": True, "reason": f"{Refund.objects.count()} refunds exist already"}
    if not _sandbox_up():
        return {"skipped": True, "reason": f"no provider sandbox at {settings.REFUND_PROVIDER_URL}"}
    users = {
        u.username: u
        for u in get_user_model().objects.filter(username__in=["agent", "supervisor", "finance"])
    }
    if len(users) < 3:
        return {"skipped": True, "reason": "the demo users are missing"}
    rng = random.Random(seed)
    candidates = list(
        Case.objects.filter(
            recharge_order__isnull=False,
            queue__code="recharge",
            status__in=["in_progress", "waiting_third_party", "resolved"],
        )
        .select_related("recharge_order")
        .order_by("pk")[:400]
    )
    rng.shuffle(candidates)
    total = sum(n for _, n in PLAN)
    counts: dict[str, int] = {}
    done = 0
    cases = iter(candidates)
    for wanted, how_many in PLAN:
        for _ in range(how_many):
            case = next(cases, None)
            if case is None:
                break
            try:
                made = _make(wanted, case, users, rng)
            except DomainError:
                continue
            counts[made] = counts.get(made, 0) + 1
            done += 1
            if progress:
                progress(done, total)
    _control(fail_rate=0, error_rate=0, timeout_rate=0)
    return {"refunds": sum(counts.values()), **counts}


def _make(wanted: str, case, users, rng) -> str:
    reason, liability, _ = rng.choice(REASONS)
    paid = case.recharge_order.amount_paid
    amount = paid if rng.random() < 0.7 else (paid / 2).quantize(Decimal("0.01"))
    refund = refund_request(
        actor=users["agent"], case=case, amount=amount, reason=reason, liability=liability
    )
    if wanted == "pending_approval":
        return wanted
    if wanted == "cancelled":
        return refund_cancel(actor=users["agent"], refund=refund, reason="客户撤回申请").status
    approver = (
        users["supervisor"] if refund.cumulative_amount <= Decimal("1000.00") else users["finance"]
    )
    if wanted == "rejected":
        return refund_reject(actor=approver, refund=refund, reason="不符合退款政策").status
    refund = refund_approve(actor=approver, refund=refund, comment="同意")
    if wanted == "approved":
        return refund.status  # the worker pays it once the demo runs
    faults = {
        "failed": {"fail_rate": 1},
        "outcome_unknown": {"error_rate": 1},
        "needs_review": {"error_rate": 1},
    }
    _control(**{"fail_rate": 0, "error_rate": 0, "timeout_rate": 0, **faults.get(wanted, {})})
    status = processing.submit(refund.pk)
    if wanted == "needs_review":
        window = settings.REFUND_UNKNOWN_WINDOW_SECONDS
        settings.REFUND_UNKNOWN_WINDOW_SECONDS = 0
        try:
            reconcile()
        finally:
            settings.REFUND_UNKNOWN_WINDOW_SECONDS = window
        status = Refund.objects.get(pk=refund.pk).status
    return status or Refund.objects.get(pk=refund.pk).status
