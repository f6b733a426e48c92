"""The refund pipeline with real parts: PostgreSQL, a real Celery worker on Redis, the sandbox
provider over HTTP. Each test is one row of spec/REFUNDS.md's table; after each, the provider's
ledger and the database agree refund by refund."""

import re
from decimal import Decimal

import pytest
from django.db import connection

from backoffice.errors import Conflict
from refunds import processing
from refunds.choices import RefundStatus
from refunds.models import Refund, RefundAttempt
from refunds.reconcile import reconcile
from refunds.services import refund_approve
from tests.support.concurrency import run_concurrently
from tests.support.factories import staff
from tests.support.refund_factories import People, approved_refund, paid_case, request_refund
from tests.support.workers import Worker, broker_down, purge_queue, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

LEASE = "2"


SUBMIT_DONE = re.compile(r"Task refunds\.submit\[[^\]]+\] succeeded in [0-9.]+s: (.*)$", re.M)
SUBMIT_RECEIVED = re.compile(r"Task refunds\.submit\[[^\]]+\] received")


def submits_handled(*workers) -> list[str]:
    """What each refunds.submit task the workers finished returned ('succeeded', None, …), read
    from their whole logs: the proof that a delivery was handled, not merely sent."""
    return [m for w in workers for m in SUBMIT_DONE.findall(w.log_path.read_text(errors="replace"))]


def submits_received(*workers) -> int:
    return sum(
        len(SUBMIT_RECEIVED.findall(w.log_path.read_text(errors="replace"))) for w in workers
    )


def status_of(refund) -> str:
    return Refund.objects.get(pk=refund.pk).status


def assert_ledger_agrees(sandbox) -> None:
    """Every refund the database calls paid was paid exactly once; nothing else was paid."""
    paid = {}
    for row in sandbox.ledger():
        if row["status"] == "succeeded":
            paid.setdefault(row["reference"], []).append(row)
    for refund in Refund.objects.all():
        rows = paid.pop(f"refund:{refund.pk}", [])
        if refund.status == RefundStatus.SUCCEEDED:
            assert len(rows) == 1, (refund.pk, rows)
            assert Decimal(rows[0]["amount"]) == refund.amount
            assert refund.provider_reference == rows[0]["id"]
        else:
            assert rows == [], (refund.pk, refund.status, rows)
    assert paid == {}, f"paid out with no refund behind it: {paid}"


@pytest.fixture
def people():
    return People()


@pytest.fixture
def sandbox(start_provider_sandbox):
    box = start_provider_sandbox()
    yield box
    assert_ledger_agrees(box)


def start_worker(sandbox, name="w1", **env) -> Worker:
    connection.close()
    return Worker(
        name=name,
        extra_env={"REFUND_PROVIDER_URL": sandbox.url, "REFUND_LEASE_SECONDS": LEASE, **env},
    ).start()


@pytest.fixture
def worker(sandbox):
    purge_queue()
    w = start_worker(sandbox)
    yield w
    w.stop()


def test_an_approved_refund_is_paid_by_the_worker(people, sandbox, worker):
    refund = approved_refund(people)
    assert wait_for(lambda: status_of(refund) == RefundStatus.SUCCEEDED), worker.output()
    assert len(sandbox.ledger(reference=f"refund:{refund.pk}")) == 1
    attempt = RefundAttempt.objects.get(refund=refund)
    assert (attempt.idempotency_key, attempt.status, attempt.calls) == (
        f"{refund.pk}:1",
        "succeeded",
        1,
    )


def test_sixteen_simultaneous_approvals_one_transition_one_payout(people, sandbox, worker):
    case = paid_case("50.00")
    refund = request_refund(people.agent, case, "50.00")
    approvers = [staff("supervisor", "recharge", username=f"s{i}") for i in range(16)]
    results = run_concurrently(16, lambda i: refund_approve(actor=approvers[i], refund=refund))
    approved = [r for r in results if isinstance(r, Refund)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert (len(approved), len(conflicts)) == (1, 15), results
    assert {c.code for c in conflicts} == {"already_decided"}
    assert refund.approvals.count() == 1
    assert case.events.filter(type="refund", payload__action="approved").count() == 1
    assert wait_for(lambda: status_of(refund) == RefundStatus.SUCCEEDED), worker.output()
    # one transition, one submit message: handled, and it paid
    assert wait_for(lambda: len(submits_handled(worker)) == 1), worker.output()
    assert (submits_handled(worker), submits_received(worker)) == (["'succeeded'"], 1)
    assert len(sandbox.ledger(reference=f"refund:{refund.pk}")) == 1
    assert RefundAttempt.objects.filter(refund=refund).count() == 1


def test_the_same_submit_delivered_five_times_at_once_pays_once(people, sandbox):
    refund = approved_refund(people)
    results = run_concurrently(5, lambda i: processing.submit(refund.pk))
    assert results.count(RefundStatus.SUCCEEDED) == 1
    assert results.count(None) == 4
    assert len(sandbox.ledger(reference=f"refund:{refund.pk}")) == 1
    assert RefundAttempt.objects.get(refund=refund).calls == 1


def test_five_deliveries_to_two_real_workers_pay_once(people, sandbox):
    from refunds.tasks import submit_refund

    purge_queue()
    workers = [start_worker(sandbox, f"w{i}") for i in range(2)]
    try:
        refund = approved_refund(people)  # its own on-commit submit, plus five more deliveries
        for _ in range(5):
            submit_refund.delay(refund.pk)
        assert wait_for(lambda: status_of(refund) == RefundStatus.SUCCEEDED)
        # all six deliveries handled (not merely sent): one paid, five found nothing to claim
        assert wait_for(lambda: len(submits_handled(*workers)) == 6), [w.output() for w in workers]
    finally:
        for w in workers:
            w.stop()
    assert sorted(submits_handled(*workers)) == ["'succeeded'", *["None"] * 5]
    assert submits_received(*workers) == 6
    assert len(sandbox.ledger(reference=f"refund:{refund.pk}")) == 1
    assert RefundAttempt.objects.get(refund=refund).calls == 1


def test_worker_killed_after_the_provider_call_before_recording(people, sandbox, settings):
    settings.REFUND_LEASE_SECONDS = float(LEASE)
    sandbox.control(respond_delay_ms=4000)  # the provider pays, then answers 4 s later
    purge_queue()
    first = start_worker(sandbox, "doomed")
    refund = approved_refund(people)
    assert wait_for(lambda: sandbox.ledger(reference=f"refund:{refund.pk}"), timeout=20)
    first.kill()  # SIGKILL: paid at the provider, nothing recorded here
    assert status_of(refund) == RefundStatus.PROCESSING
    sandbox.control(respond_delay_ms=0)
    second = start_worker(sandbox, "rescuer")
    try:
        # the dead worker's claim expires: then, and only then, the reconciler re-drives it
        assert wait_for(lambda: reconcile()["redriven"] == 1, timeout=20)
        assert wait_for(lambda: status_of(refund) == RefundStatus.SUCCEEDED), second.output()
    finally:
        second.stop()
    attempt = RefundAttempt.objects.get(refund=refund)
    assert (attempt.idempotency_key, attempt.calls) == (f"{refund.pk}:1", 2)  # the same key, twice
    assert len(sandbox.ledger(reference=f"refund:{refund.pk}")) == 1
    assert reconcile() == {"resubmitted": 0, "redriven": 0, "to_review": 0}


def test_worker_killed_after_the_claim_before_the_call(people, sandbox, settings):
    settings.REFUND_LEASE_SECONDS = float(LEASE)
    sandbox.control(latency_ms=4000)  # the request hangs before the provider does anything
    purge_queue()
    first = start_worker(sandbox, "doomed")
    refund = approved_refund(people)
    assert wait_for(lambda: RefundAttempt.objects.filter(refund=refund).exists(), timeout=20)
    first.kill()
    sandbox.control(latency_ms=0)
    # the abandoned request reaches the provider and pays; the rescue must not pay twice
    assert wait_for(lambda: len(sandbox.ledger(reference=f"refund:{refund.pk}")) == 1, timeout=15)
    second = start_worker(sandbox, "rescuer")
    try:
        assert wait_for(lambda: reconcile()["redriven"] == 1, timeout=20)
        assert wait_for(lambda: status_of(refund) == RefundStatus.SUCCEEDED), second.output()
    finally:
        second.stop()
    assert len(sandbox.ledger(reference=f"refund:{refund.pk}")) == 1


def test_worker_dies_right_after_the_claim_commit_before_any_provider_call(
    people, sandbox, settings
):
    settings.REFUND_LEASE_SECONDS = float(LEASE)
    purge_queue()
    doomed = start_worker(sandbox, "doomed", REFUND_TEST_CRASH_AT="after_claim")
    refund = approved_refund(people)
    try:
        doomed.proc.wait(30)  # it SIGKILLs itself as soon as its claim is committed
    finally:
        doomed.stop()
    assert doomed.proc.returncode == -9, doomed.output()
    refund.refresh_from_db()
    assert refund.status == RefundStatus.PROCESSING
    attempt = RefundAttempt.objects.get(refund=refund)
    assert (attempt.idempotency_key, attempt.status, attempt.calls) == (
        f"{refund.pk}:1",
        "started",
        1,
    )
    assert sandbox.ledger(reference=f"refund:{refund.pk}") == []  # the provider never heard of it
    rescuer = start_worker(sandbox, "rescuer")
    try:
        # the dead worker's claim expires: then, and only then, the reconciler re-drives it
        assert wait_for(lambda: reconcile()["redriven"] == 1, timeout=20)
        assert wait_for(lambda: status_of(refund) == RefundStatus.SUCCEEDED), rescuer.output()
    finally:
        rescuer.stop()
    attempt.refresh_from_db()
    assert (attempt.idempotency_key, attempt.status, attempt.calls) == (
        f"{refund.pk}:1",
        "succeeded",
        2,
    )  # the same attempt and key: claimed twice, one provider call
    [paid] = sandbox.ledger(reference=f"refund:{refund.pk}")
    assert paid["status"] == "succeeded"
    assert reconcile() == {"resubmitted": 0, "redriven": 0, "to_review": 0}


def test_provider_commits_then_drops_the_response(people, sandbox, worker):
    sandbox.control(timeout_rate=1)
    refund = approved_refund(people)
    assert wait_for(lambda: status_of(refund) == RefundStatus.OUTCOME_UNKNOWN), worker.output()
    assert len(sandbox.ledger(reference=f"refund:{refund.pk}")) == 1  # it did pay
    sandbox.control(timeout_rate=0)
    assert reconcile()["redriven"] == 1
    assert wait_for(lambda: status_of(refund) == RefundStatus.SUCCEEDED), worker.output()
    assert len(sandbox.ledger(reference=f"refund:{refund.pk}")) == 1
    assert RefundAttempt.objects.get(refund=refund).idempotency_key == f"{refund.pk}:1"


def test_broker_down_when_the_approval_commits(people, sandbox, worker, settings):
    settings.REFUND_APPROVED_GRACE_SECONDS = 0
    with broker_down():
        refund = approved_refund(people)  # the submit message is lost: nothing to deliver it
        assert status_of(refund) == RefundStatus.APPROVED
    assert submits_received(worker) == 0
    # the broker is back: the reconciler (on beat) finds the approved refund and sends it again
    counts = reconcile()
    assert counts["resubmitted"] == 1, (counts, status_of(refund), worker.output())
    assert wait_for(lambda: status_of(refund) == RefundStatus.SUCCEEDED), worker.output()


def test_a_definite_failure_then_an_explicit_retry_uses_a_new_key(people, sandbox, worker):
    from refunds.services import refund_retry

    sandbox.control(fail_rate=1)
    refund = approved_refund(people)
    assert wait_for(lambda: status_of(refund) == RefundStatus.FAILED), worker.output()
    sandbox.control(fail_rate=0)
    refund_retry(actor=people.finance, refund=refund)
    assert wait_for(lambda: status_of(refund) == RefundStatus.SUCCEEDED), worker.output()
    keys = list(
        RefundAttempt.objects.filter(refund=refund).values_list("idempotency_key", "status")
    )
    assert keys == [(f"{refund.pk}:1", "failed"), (f"{refund.pk}:2", "succeeded")]


def test_an_amount_edited_after_approval_is_not_submitted(people, sandbox, worker):
    refund = request_refund(people.agent, paid_case("50.00"), "20.00")
    with broker_down():  # keep the submit from racing the edit below
        refund_approve(actor=people.supervisor, refund=refund)
    Refund.objects.filter(pk=refund.pk).update(amount=Decimal("50.00"))  # behind the service's back
    processing.submit(refund.pk)
    refund.refresh_from_db()
    assert refund.status == RefundStatus.NEEDS_REVIEW
    assert "changed after approval" in refund.status_reason
    assert sandbox.ledger(reference=f"refund:{refund.pk}") == []


def test_unknown_outcome_past_the_safety_window_goes_to_finance(people, sandbox, settings):
    settings.REFUND_UNKNOWN_WINDOW_SECONDS = 0
    sandbox.control(error_rate=1)
    refund = approved_refund(people)
    assert processing.submit(refund.pk) == RefundStatus.OUTCOME_UNKNOWN
    assert reconcile()["to_review"] == 1
    refund.refresh_from_db()
    assert refund.status == RefundStatus.NEEDS_REVIEW
    assert "ledger" in refund.status_reason
