"""The money rules pinned at their edges, through the API (issue 21: the mutants a probe left
alive). Each test names the mutant it kills:

- a tier boundary moved by one (`<=` → `<` in the tier, `>` → `>=` in an approver's limit):
  a refund exactly at a limit and one cent above;
- the retry's refundable check removed: a retry that would exceed what the order can refund;
- `needs_review` (and `outcome_unknown`, `failed`) no longer counted against the order;
- a changed payload hash ignored at approval: an edit refused at approval (and at submit, in
  test_pipeline.py::test_an_amount_edited_after_approval_is_not_submitted).

Failures and reviews come from the sandbox provider over HTTP, driven in this process.
"""

import hashlib
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from backoffice.audit.models import AuditEntry
from cases.models import CaseEvent, RechargeOrder
from refunds import policy, processing
from refunds.choices import RefundStatus
from refunds.models import Refund, RefundApproval
from refunds.reconcile import reconcile
from tests.support.factories import staff
from tests.support.refund_factories import People, paid_case

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def ask(user, case, amount: str, status: int = 201) -> dict:
    body = {"case": case.reference, "amount": amount, "reason": "充值失败", "liability": "company"}
    response = api(user).post("/api/v1/refunds/", body, format="json")
    assert response.status_code == status, response.json()
    return response.json()


def act(user, refund_id: int, action: str, status: int = 200, **body) -> dict:
    response = api(user).post(f"/api/v1/refunds/{refund_id}/{action}/", body, format="json")
    assert response.status_code == status, response.json()
    return response.json()


def unchanged() -> tuple:
    """What a refused call must leave alone."""
    return (
        list(Refund.objects.order_by("pk").values()),
        RefundApproval.objects.count(),
        CaseEvent.objects.count(),
        AuditEntry.objects.count(),
    )


@pytest.fixture
def people():
    return People()


# --- tier boundaries ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "approver", "status"),
    [
        ("100.00", "agent", 200),  # exactly the agent's limit
        ("100.01", "agent", 403),
        ("1000.00", "supervisor", 200),  # exactly the supervisor's limit
        ("1000.01", "supervisor", 403),
    ],
)
def test_an_approver_may_approve_exactly_up_to_their_limit(people, amount, approver, status):
    requester = people.finance if approver == "agent" else people.agent
    refund = ask(requester, paid_case(amount), amount)
    assert (refund["cumulative_amount"], refund["approvals_needed"]) == (amount, 1)
    before = unchanged()
    body = act(getattr(people, approver), refund["id"], "approve", status=status)
    if status == 200:
        assert body["status"] == "approved"
    else:
        assert body["code"] == "approval_limit"
        assert unchanged() == before


@pytest.mark.parametrize(("amount", "needed"), [("10000.00", 1), ("10000.01", 2)])
def test_two_finance_approvals_start_one_cent_above_ten_thousand(people, amount, needed):
    refund = ask(people.agent, paid_case(amount), amount)
    assert refund["approvals_needed"] == needed
    first = act(people.finance, refund["id"], "approve")
    assert first["status"] == ("approved" if needed == 1 else "pending_approval")


def test_the_agents_inbox_holds_a_refund_exactly_at_their_limit_not_one_cent_above(people):
    at = ask(people.supervisor, paid_case("100.00", order_id="AT"), "100.00")
    above = ask(people.supervisor, paid_case("100.01", customer_id="U2", order_id="B"), "100.01")
    client = APIClient()
    client.force_login(people.agent)
    page = client.get("/approvals/").content.decode()
    assert page.count(f'id="approve-{at["id"]}-comment"') == 1
    assert at["reference"] in page
    assert above["reference"] not in page


# --- what counts against an order ------------------------------------------------------------------


def test_a_refund_under_review_or_with_an_unknown_outcome_still_counts(
    people, start_provider_sandbox, settings
):
    settings.REFUND_UNKNOWN_WINDOW_SECONDS = 0
    sandbox = start_provider_sandbox()
    sandbox.control(error_rate=1)  # the provider answers 503: the outcome is unknown
    case = paid_case("100.00", order_id="A")
    refund = ask(people.agent, case, "100.00")
    act(people.supervisor, refund["id"], "approve")
    assert processing.submit(refund["id"]) == RefundStatus.OUTCOME_UNKNOWN
    ask(people.agent, case, "0.01", status=400)
    assert reconcile()["to_review"] == 1
    assert Refund.objects.get(pk=refund["id"]).status == RefundStatus.NEEDS_REVIEW
    before = unchanged()
    assert list(ask(people.agent, case, "0.01", status=400)) == ["amount"]
    assert unchanged() == before
    # ... and toward the customer's cumulative amount on another order
    other = ask(people.agent, paid_case("50.00", order_id="B"), "50.00")
    assert other["cumulative_amount"] == "150.00"


def test_a_failed_refund_counts_until_finance_cancels_it(people, start_provider_sandbox):
    sandbox = start_provider_sandbox()
    sandbox.control(fail_rate=1)
    case = paid_case("100.00")
    refund = ask(people.agent, case, "100.00")
    act(people.supervisor, refund["id"], "approve")
    assert processing.submit(refund["id"]) == RefundStatus.FAILED
    assert list(ask(people.agent, case, "0.01", status=400)) == ["amount"]

    # The requester (an agent) cannot cancel a failed refund: finance or a supervisor can.
    before = unchanged()
    act(people.agent, refund["id"], "cancel", status=403)
    act(staff("supervisor", "credit", username="elsewhere"), refund["id"], "cancel", status=404)
    assert unchanged() == before

    cancelled = act(people.finance, refund["id"], "cancel")
    assert cancelled["status"] == "cancelled"
    event = CaseEvent.objects.filter(type="refund", payload__action="cancelled").get()
    assert (event.payload["refund"], event.payload["was"], event.actor) == (
        refund["id"],
        "failed",
        people.finance,
    )
    assert (
        AuditEntry.objects.filter(action="refund.cancel", object_id=str(refund["id"])).count() == 1
    )
    # It no longer counts, can never be retried, and a new refund of the full amount is tiered
    # as the only one.
    assert act(people.finance, refund["id"], "retry", status=409)["code"] == "not_failed"
    again = ask(people.agent, case, "100.00")
    assert again["cumulative_amount"] == "100.00"
    assert act(people.finance, refund["id"], "cancel", status=409)["code"] == "already_decided"


@pytest.mark.parametrize("status", [RefundStatus.APPROVED, RefundStatus.SUCCEEDED])
def test_an_approved_or_paid_refund_cannot_be_cancelled(people, status):
    refund = ask(people.agent, paid_case("50.00"), "50.00")
    act(people.supervisor, refund["id"], "approve")
    Refund.objects.filter(pk=refund["id"]).update(status=status)
    before = unchanged()
    assert act(people.finance, refund["id"], "cancel", status=409)["code"] == "already_decided"
    assert unchanged() == before


def test_a_retry_that_would_exceed_what_the_order_can_refund_is_refused(
    people, start_provider_sandbox
):
    sandbox = start_provider_sandbox()
    sandbox.control(fail_rate=1)
    case = paid_case("100.00")
    refund = ask(people.agent, case, "60.00")
    act(people.supervisor, refund["id"], "approve")
    assert processing.submit(refund["id"]) == RefundStatus.FAILED
    # The order's paid amount corrected downwards since (as the intake feed could before issue
    # 21's finding 4): 60.00 no longer fits in 50.00.
    RechargeOrder.objects.filter(pk=case.recharge_order_id).update(amount_paid=Decimal("50.00"))
    before = unchanged()
    assert act(people.finance, refund["id"], "retry", status=409)["code"] == "over_refundable"
    assert unchanged() == before


# --- the approved payload ---------------------------------------------------------------------------


def test_an_edit_before_the_last_approval_is_refused_at_approval(people):
    refund = ask(people.agent, paid_case("12000.00"), "11000.00")
    assert refund["approvals_needed"] == 2
    act(people.finance, refund["id"], "approve")
    # changed behind the services' back (a DBA, a bad migration): the approvals no longer match
    Refund.objects.filter(pk=refund["id"]).update(amount=Decimal("12000.00"))
    before = unchanged()
    assert act(people.finance2, refund["id"], "approve", status=409)["code"] == "payload_changed"
    assert unchanged() == before


def test_an_edit_before_any_approval_is_refused_at_approval(people):
    refund = ask(people.agent, paid_case("50.00"), "20.00")
    Refund.objects.filter(pk=refund["id"]).update(reason="另一个理由")
    before = unchanged()
    assert act(people.supervisor, refund["id"], "approve", status=409)["code"] == "payload_changed"
    assert unchanged() == before


def test_an_approver_who_approved_cannot_then_reject_in_the_same_round(people):
    """It was a 500 (the unique decision per approver, unguarded in reject)."""
    refund = ask(people.agent, paid_case("12000.00"), "11000.00")
    act(people.finance, refund["id"], "approve")
    before = unchanged()
    body = act(people.finance, refund["id"], "reject", status=409, reason="changed my mind")
    assert body["code"] == "already_decided"
    assert unchanged() == before


def test_a_refund_in_another_currency_than_the_order_is_400_naming_currency(people):
    """Σ ≤ paid and the tiers are sums in one currency: a refund in another currency than its
    order's would be added to them as if it were the same money."""
    case = paid_case("50.00")
    RechargeOrder.objects.filter(pk=case.recharge_order_id).update(currency="HKD")  # a legacy row
    before = unchanged()
    assert list(ask(people.agent, case, "10.00", status=400)) == ["currency"]
    assert unchanged() == before


# --- the approved payload ---------------------------------------------------------------------------


def test_the_payload_hash_is_the_canonical_json_of_what_was_approved():
    """An approval is bound to this exact form (sorted keys, no spaces, two decimals, non-ASCII
    as is): bench/seed.py writes it in SQL and every stored refund and approval carries it, so a
    change of form would make every refund waiting for approval "changed since it was
    requested". The expected value is computed here from the form, not by the code under test."""
    canonical = '{"amount":"5.00","currency":"CNY","order":"R-1","reason":"充值失败"}'
    expected = hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    got = policy.payload_hash(
        amount=Decimal("5"), currency="CNY", reason="充值失败", order_id="R-1"
    )

    assert got == expected
