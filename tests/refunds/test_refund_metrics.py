"""A refund requested and approved over the API, paid by a real Celery worker through the sandbox
provider over HTTP; then /metrics counts it as succeeded, shows the task's run time and queue wait,
and the worker's log lines of that task carry the approving request's id."""

import math

import pytest
from django.db import connection
from django.test import override_settings
from rest_framework.test import APIClient

from backoffice.observability import tasktimes
from backoffice.observability.models import MetricTally
from refunds.choices import RefundStatus
from refunds.models import Refund
from tests.support.metrics import TOKEN, sample, scrape
from tests.support.refund_factories import People, approved_refund, paid_case
from tests.support.sandbox import ProviderSandbox
from tests.support.workers import Worker, purge_queue, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def api(user, request_id: str) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en", HTTP_X_REQUEST_ID=request_id)
    client.force_authenticate(user)
    return client


@pytest.fixture
def sandbox():
    box = ProviderSandbox().start()
    yield box
    box.stop()


@pytest.fixture
def worker(sandbox):
    purge_queue()
    connection.close()
    w = Worker(extra_env={"REFUND_PROVIDER_URL": sandbox.url}).start()
    yield w
    w.stop()


def submit_runs() -> int:
    rows = MetricTally.objects.filter(metric=tasktimes.RUN, label="refunds.submit")
    return sum(row.count for row in rows)


@override_settings(METRICS_TOKEN=TOKEN)
def test_a_paid_refund_and_its_task_show_on_metrics_and_in_the_task_log(client, worker):
    people = People()
    case = paid_case("50.00")
    body = {
        "case": case.reference,
        "amount": "50.00",
        "currency": "CNY",
        "reason": "未到账",
        "liability": "company",
    }
    requested = api(people.agent, "req-refund-ask").post("/api/v1/refunds/", body, format="json")
    assert requested.status_code == 201, requested.json()
    assert requested["X-Request-ID"] == "req-refund-ask"
    refund_id = Refund.objects.get().pk
    before = scrape(client)
    assert sample(before, "backoffice_refunds", status="pending_approval") == 1
    assert sample(before, "backoffice_refunds", status="succeeded") == 0

    approved = api(people.supervisor, "req-refund-approve").post(
        f"/api/v1/refunds/{refund_id}/approve/", {}, format="json"
    )
    assert approved.status_code == 200, approved.json()
    assert wait_for(lambda: Refund.objects.get(pk=refund_id).status == RefundStatus.SUCCEEDED), (
        worker.output()
    )
    # the timing row is written when the task returns, just after the refund's commit
    assert wait_for(lambda: submit_runs() == 1), worker.output()

    after = scrape(client)
    assert sample(after, "backoffice_refunds", status="succeeded") == 1
    assert sample(after, "backoffice_refunds", status="pending_approval") == 0
    assert sample(after, "backoffice_refund_provider_errors_total", kind="unavailable") == 0
    for histogram in ("backoffice_task_run_seconds", "backoffice_task_wait_seconds"):
        assert sample(after, f"{histogram}_count", task="refunds.submit") == 1, histogram
        assert sample(after, f"{histogram}_bucket", task="refunds.submit", le="+Inf") == 1
        total = sample(after, f"{histogram}_sum", task="refunds.submit")
        assert 0 <= total < 60 and math.isfinite(total), (histogram, total)
    assert sample(after, "backoffice_task_failures_total", task="refunds.submit") is None

    log = worker.log_path.read_text(errors="replace").splitlines()
    task_lines = [line for line in log if "refunds.submit[" in line]
    assert any("succeeded" in line for line in task_lines), task_lines
    assert all(
        "request_id=req-refund-approve" in line for line in task_lines if "succeeded" in line
    )
    # the customer's message, published by that task, carries the same id into its own run
    assert wait_for(
        lambda: any(
            "notifications.send[" in line
            and "succeeded" in line
            and "request_id=req-refund-approve" in line
            for line in worker.log_path.read_text(errors="replace").splitlines()
        ),
        timeout=30,
    ), worker.output()


@override_settings(METRICS_TOKEN=TOKEN)
def test_a_provider_that_does_not_answer_counts_as_a_provider_error(client, sandbox, worker):
    sandbox.control(error_rate=1)  # every call answered 503: outcome unknown
    refund = approved_refund(People())
    assert wait_for(
        lambda: Refund.objects.get(pk=refund.pk).status == RefundStatus.OUTCOME_UNKNOWN
    ), worker.output()
    assert wait_for(lambda: submit_runs() == 1), worker.output()
    samples = scrape(client)
    assert sample(samples, "backoffice_refund_provider_errors_total", kind="unavailable") == 1
    assert sample(samples, "backoffice_refund_provider_errors_total", kind="rejected") == 0
    assert sample(samples, "backoffice_refunds", status="outcome_unknown") == 1
    assert sample(samples, "backoffice_refunds", status="succeeded") == 0
