"""The queue overview reads stored counts (`QueueCount`), kept by the `cases.queue_counts` beat
task, instead of counting every open case per page view; a missing or stale row is counted anew."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from backoffice.celery import app
from cases.models import Queue, QueueCount
from sla.counts import refresh_queue_counts
from sla.tasks import queue_counts as queue_counts_task
from tests.support.factories import open_case, order_data

pytestmark = pytest.mark.django_db


def recharge() -> Queue:
    return Queue.objects.get(code="recharge")


def open_cases(n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        open_case(customer_id=f"QC{i}", order=order_data(order_id=f"QC-R{i}"))


def test_the_beat_task_stores_every_queue_s_counts():
    open_cases(3)

    assert queue_counts_task() == Queue.objects.count()

    row = QueueCount.objects.get(queue=recharge())
    assert (row.open, row.unassigned, row.at_risk, row.breached) == (3, 3, 0, 0)
    entry = settings.CELERY_BEAT_SCHEDULE["queue-counts"]
    assert entry["task"] == "cases.queue_counts" and entry["task"] in app.tasks


def test_the_overview_shows_the_stored_counts_while_fresh(login, people, settings, freezer):
    settings.QUEUE_COUNTS_MAX_AGE = 180
    open_cases(2)
    refresh_queue_counts()
    open_cases(1, start=2)  # not counted until the next refresh
    client = login(people.supervisor)

    html = client.get("/queues/").content.decode()

    row = html.split('href="/queues/recharge/"')[1].split("</tr>")[0]
    assert '<td class="num">2</td>' in row
    assert f"Counted at {timezone.localtime():%H:%M:%S}" in html

    freezer.move_to(timezone.now() + timedelta(seconds=181))  # beat stopped: the row is stale
    html = client.get("/queues/").content.decode()

    row = html.split('href="/queues/recharge/"')[1].split("</tr>")[0]
    assert '<td class="num">3</td>' in row
    assert QueueCount.objects.get(queue=recharge()).open == 3


def test_a_queue_without_a_stored_row_is_counted_on_the_spot(login, people, settings):
    settings.QUEUE_COUNTS_MAX_AGE = 180
    open_cases(2)
    assert not QueueCount.objects.exists()

    html = login(people.supervisor).get("/queues/").content.decode()

    row = html.split('href="/queues/recharge/"')[1].split("</tr>")[0]
    assert '<td class="num">2</td>' in row
    assert QueueCount.objects.get(queue=recharge()).open == 2
