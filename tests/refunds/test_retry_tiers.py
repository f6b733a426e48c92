"""Issue 21, finding 1 ("Retry skips the tier"), with real parts: PostgreSQL, a real Celery worker,
the sandbox provider over HTTP, everything through the API.

The rule (docs/security.md, "Money"): a failed refund keeps counting toward its order's and its
customer's cumulative amount until it is cancelled; a retry decides the tier again on everything
paid or in flight, and when the approvals the refund holds no longer cover that tier it goes back
for fresh approval (a new round) instead of being paid.
"""

from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from backoffice.audit.models import AuditEntry
from cases.models import CaseEvent
from refunds.choices import RefundStatus
from refunds.models import Refund, RefundApproval
from tests.refunds.test_pipeline import assert_ledger_agrees
from tests.support.refund_factories import People, paid_case
from tests.support.workers import Worker, purge_queue, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def ask(user, case, amount: str) -> dict:
    body = {"case": case.reference, "amount": amount, "reason": "充值失败", "liability": "company"}
    response = api(user).post("/api/v1/refunds/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def act(user, refund_id: int, action: str, status: int = 200, **body) -> dict:
    response = api(user).post(f"/api/v1/refunds/{refund_id}/{action}/", body, format="json")
    assert response.status_code == status, response.json()
    return response.json()


def status_of(refund_id: int) -> str:
    return Refund.objects.get(pk=refund_id).status


def paid_for(sandbox, refund_id: int) -> list[dict]:
    return [
        r for r in sandbox.ledger(reference=f"refund:{refund_id}") if r["status"] == "succeeded"
    ]


@pytest.fixture
def people():
    return People()


@pytest.fixture
def sandbox(start_provider_sandbox):
    box = start_provider_sandbox()
    yield box
    assert_ledger_agrees(box)


@pytest.fixture
def worker(sandbox):
    purge_queue()
    connection.close()
    w = Worker(extra_env={"REFUND_PROVIDER_URL": sandbox.url, "REFUND_LEASE_SECONDS": "2"})
    w.start()
    yield w
    w.stop()


def test_a_retry_after_a_second_refund_asks_for_fresh_approval_of_the_higher_tier(
    people, sandbox, worker
):
    """The issue's reproduction: paid 20,000; 9,000 approved by one finance user fails; a second
    9,000; the retry of the first would pay 18,000 on one approver where above 10,000 needs two."""
    case = paid_case("20000.00")
    sandbox.control(fail_rate=1)
    first = ask(people.agent, case, "9000.00")
    assert (first["cumulative_amount"], first["approvals_needed"]) == ("9000.00", 1)
    act(people.finance, first["id"], "approve")
    assert wait_for(lambda: status_of(first["id"]) == RefundStatus.FAILED), worker.output()
    sandbox.control(fail_rate=0)

    # The failed 9,000 still counts: the second is tiered on 18,000 and needs two approvals.
    second = ask(people.agent, case, "9000.00")
    assert (second["cumulative_amount"], second["approvals_needed"]) == ("18000.00", 2)
    assert act(people.finance, second["id"], "approve")["status"] == "pending_approval"
    assert act(people.finance2, second["id"], "approve")["status"] == "approved"
    assert wait_for(lambda: status_of(second["id"]) == RefundStatus.SUCCEEDED), worker.output()

    # The retry finds 18,000 in flight or paid: one approval no longer covers it.
    events_before = CaseEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    retried = act(people.finance, first["id"], "retry")
    assert (retried["status"], retried["cumulative_amount"]) == ("pending_approval", "18000.00")
    assert (retried["approvals_needed"], retried["approval_round"]) == (2, 2)
    assert [a["round"] for a in retried["approvals"]] == [1]
    assert paid_for(sandbox, first["id"]) == []
    assert Refund.objects.get(pk=first["id"]).attempts.count() == 1
    actions = list(
        CaseEvent.objects.filter(pk__gt=events_before, type="refund").values_list(
            "payload__action", flat=True
        )
    )
    assert actions == ["sent_back"]
    assert (
        AuditEntry.objects.filter(action="refund.sent_back", object_id=str(first["id"])).count()
        == 1
    )

    # Fresh approval: the earlier approver may decide again in the new round, and a second one
    # is needed; only then is it paid, once.
    assert act(people.finance, first["id"], "approve")["status"] == "pending_approval"
    assert act(people.finance2, first["id"], "approve")["status"] == "approved"
    assert wait_for(lambda: status_of(first["id"]) == RefundStatus.SUCCEEDED), worker.output()
    assert [Decimal(r["amount"]) for r in paid_for(sandbox, first["id"])] == [Decimal("9000.00")]
    assert len(paid_for(sandbox, second["id"])) == 1
    # Every payout above 10,000 cumulative carries two distinct approvals of its last round.
    for refund in Refund.objects.filter(status=RefundStatus.SUCCEEDED):
        approvers = set(
            RefundApproval.objects.filter(
                refund=refund, round=refund.approval_round, decision="approve"
            ).values_list("approver", flat=True)
        )
        assert len(approvers) == 2, (refund.pk, approvers)


def test_a_retry_whose_approvals_still_cover_the_tier_is_paid_at_once(people, sandbox, worker):
    case = paid_case("500.00")
    sandbox.control(fail_rate=1)
    first = ask(people.agent, case, "300.00")
    act(people.supervisor, first["id"], "approve")  # supervisor: up to 1,000.00
    assert wait_for(lambda: status_of(first["id"]) == RefundStatus.FAILED), worker.output()
    sandbox.control(fail_rate=0)
    second = ask(people.agent, case, "200.00")
    assert second["cumulative_amount"] == "500.00"
    act(people.supervisor, second["id"], "approve")
    retried = act(people.finance, first["id"], "retry")
    assert (retried["status"], retried["cumulative_amount"], retried["approval_round"]) == (
        "approved",
        "500.00",
        1,
    )
    assert wait_for(lambda: status_of(first["id"]) == RefundStatus.SUCCEEDED), worker.output()
    assert wait_for(lambda: status_of(second["id"]) == RefundStatus.SUCCEEDED), worker.output()
    assert len(paid_for(sandbox, first["id"])) == 1


def test_a_retry_beyond_the_approvers_limit_goes_back_to_approval(people, sandbox, worker):
    """One approval is still enough above 1,000.00, but the supervisor who gave it may approve
    only up to 1,000.00: it no longer covers the tier."""
    case = paid_case("1500.00")
    sandbox.control(fail_rate=1)
    first = ask(people.agent, case, "800.00")
    act(people.supervisor, first["id"], "approve")
    assert wait_for(lambda: status_of(first["id"]) == RefundStatus.FAILED), worker.output()
    sandbox.control(fail_rate=0)
    ask(people.agent, case, "700.00")  # 1,500.00 cumulative: finance's tier
    retried = act(people.finance, first["id"], "retry")
    assert (retried["status"], retried["cumulative_amount"]) == ("pending_approval", "1500.00")
    act(people.supervisor, first["id"], "approve", status=403)
    assert act(people.finance, first["id"], "approve")["status"] == "approved"
    assert wait_for(lambda: status_of(first["id"]) == RefundStatus.SUCCEEDED), worker.output()


def test_a_retry_of_a_refund_the_provider_paid_is_not_paid_twice(people, sandbox, worker, settings):
    """Probing the next hole: the provider paid but its answer was lost; past the safety window
    the refund goes to finance, who settles it as failed by mistake and retries it. The retry
    reuses the unanswered attempt's key (only a definite refusal earns a new key), so the provider
    answers with the payout it made: paid once."""
    from refunds.reconcile import reconcile

    settings.REFUND_UNKNOWN_WINDOW_SECONDS = 0
    sandbox.control(timeout_rate=1)  # the provider pays, then drops the answer
    refund = ask(people.agent, paid_case("50.00"), "50.00")
    act(people.supervisor, refund["id"], "approve")
    assert wait_for(lambda: status_of(refund["id"]) == RefundStatus.OUTCOME_UNKNOWN), (
        worker.output()
    )
    sandbox.control(timeout_rate=0)
    assert reconcile()["to_review"] == 1
    act(people.finance, refund["id"], "settle", outcome="failed", note="ledger looked empty")
    assert act(people.finance, refund["id"], "retry")["status"] == "approved"
    assert wait_for(lambda: status_of(refund["id"]) == RefundStatus.SUCCEEDED), worker.output()
    stored = Refund.objects.get(pk=refund["id"])
    assert list(stored.attempts.values_list("idempotency_key", "status", "calls")) == [
        (f"{refund['id']}:1", "succeeded", 2)
    ]
    assert len(paid_for(sandbox, refund["id"])) == 1
