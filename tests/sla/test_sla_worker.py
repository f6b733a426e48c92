"""The SLA sweep driven by a real `celery beat` through a real worker on Redis."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import CaseEvent
from sla.models import SlaClock
from sla.sweep import sla_sweep
from tests.support.concurrency import run_concurrently
from tests.support.factories import open_case, order_data
from tests.support.workers import Beat, Worker, purge_queue, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def threshold_events(clock):
    events = CaseEvent.objects.filter(type="sla", payload__clock=clock.pk)
    return sorted(
        e.payload.get("threshold", "breach")
        for e in events
        if e.payload["action"] in ("warn", "breach")
    )


def test_beat_drives_the_sweep_through_a_worker_and_records_each_threshold_once():
    case = open_case(received_at=timezone.now() - timedelta(days=10))
    purge_queue()
    env = {"SLA_SWEEP_SECONDS": "1"}
    worker = Worker(extra_env=env).start()
    beat = Beat(name="beat", extra_env=env).start()
    try:
        first = SlaClock.objects.get(case=case, metric="first_response")
        assert wait_for(lambda: SlaClock.objects.get(pk=first.pk).state == "breached"), (
            worker.output() + beat.output()
        )
        assert wait_for(
            lambda: worker.output().count("cases.sla_sweep") >= 6
        )  # several more sweeps
    finally:
        beat.stop()
        worker.stop()
    assert "Sending due task sla-sweep (cases.sla_sweep)" in beat.output()
    for metric in ("first_response", "resolution"):
        clock = SlaClock.objects.get(case=case, metric=metric)
        assert threshold_events(clock) == ["breach", "warn_50", "warn_75"], metric
        assert clock.state == "breached"
    regulatory = SlaClock.objects.get(case=case, metric="regulatory_decision")
    assert threshold_events(regulatory) == ["warn_50"]


def test_two_sweeps_at_once_fire_each_threshold_once():
    past = timezone.now() - timedelta(days=20)
    cases = [
        open_case(customer_id=f"U{i}", order=order_data(order_id=f"R{i}"), received_at=past)
        for i in range(5)
    ]
    results = run_concurrently(4, lambda i: sla_sweep())
    assert all(isinstance(r, int) for r in results), results
    for case in cases:
        for clock in SlaClock.objects.filter(case=case):
            events = threshold_events(clock)
            assert len(events) == len(set(events)), (clock.metric, events)
    # 5 cases × (first response + resolution: 50, 75, breach; regulatory: 50, 75, due soon, breach)
    assert sum(results) == 5 * (3 + 3 + 4)
