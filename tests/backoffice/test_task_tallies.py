"""Task timings are added by many worker processes at once: every observation counts exactly once,
and /metrics rebuilds cumulative histograms from the rows."""

import math

import pytest
from django.test import override_settings

from backoffice.observability import tasktimes
from backoffice.observability.models import MetricTally
from tests.support.concurrency import run_concurrently
from tests.support.metrics import TOKEN, sample, scrape


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_tallies_of_the_same_buckets_all_count():
    n = 8

    def observe(i):
        # every thread: the same run bucket, and its wait in one of two buckets
        tasktimes.tally(
            [
                (tasktimes.RUN, "t.same", 0.05, 0.04),
                (tasktimes.WAIT, "t.same", 0.1 if i % 2 else 0.5, 0.07),
            ]
        )

    assert run_concurrently(n, observe) == [None] * n
    rows = {(r.metric, r.le): r.count for r in MetricTally.objects.filter(label="t.same")}
    assert rows == {
        (tasktimes.RUN, 0.05): n,
        (tasktimes.WAIT, 0.1): n // 2,
        (tasktimes.WAIT, 0.5): n // 2,
    }


@pytest.mark.django_db
@override_settings(METRICS_TOKEN=TOKEN)
def test_metrics_rebuilds_cumulative_histograms_and_counts_failures(client):
    for seconds in (0.003, 0.2, 0.2, 7.0, 500.0):
        tasktimes.tally(
            [(tasktimes.RUN, "t.hist", tasktimes.bucket(seconds, tasktimes.RUN_BUCKETS), seconds)]
        )
    tasktimes.count(tasktimes.FAILURES, "t.hist")
    samples = scrape(client)
    bucket = "backoffice_task_run_seconds_bucket"
    assert sample(samples, bucket, task="t.hist", le="0.01") == 1
    assert sample(samples, bucket, task="t.hist", le="0.1") == 1
    assert sample(samples, bucket, task="t.hist", le="0.25") == 3
    assert sample(samples, bucket, task="t.hist", le="10.0") == 4
    assert sample(samples, bucket, task="t.hist", le="120.0") == 4
    assert sample(samples, bucket, task="t.hist", le="+Inf") == 5
    assert sample(samples, "backoffice_task_run_seconds_count", task="t.hist") == 5
    assert math.isclose(sample(samples, "backoffice_task_run_seconds_sum", task="t.hist"), 507.403)
    assert sample(samples, "backoffice_task_failures_total", task="t.hist") == 1
    assert sample(samples, "backoffice_task_wait_seconds_count", task="t.hist") is None


@pytest.mark.django_db
def test_a_tally_that_cannot_be_written_is_logged_and_never_raises(caplog, monkeypatch):
    monkeypatch.setattr(tasktimes, "_UPSERT", "INSERT INTO no_such_table VALUES {rows}")
    tasktimes.count(tasktimes.FAILURES, "t.broken")
    assert "metrics: could not record" in caplog.text
    assert not MetricTally.objects.exists()
