"""Delivery with real parts: PostgreSQL, a real worker on Redis, a local HTTP SMS gateway."""

import logging

import pytest

from notifications import delivery
from notifications.models import Notification
from tests.support.concurrency import run_concurrently
from tests.support.factories import open_case
from tests.support.workers import broker_down, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def status() -> str:
    return Notification.objects.get().status


def test_the_same_send_delivered_three_times_at_once_sends_one_message(sms_gateway):
    open_case()
    pk = Notification.objects.get().pk
    results = run_concurrently(3, lambda i: delivery.deliver(pk))
    assert sorted(results, key=str) == [None, None, "sent"]
    assert len(sms_gateway.messages) == 1
    assert Notification.objects.get().attempts == 1


def test_a_worker_sends_the_message_after_the_case_commits(sms_gateway, worker):
    case = open_case()
    assert wait_for(lambda: status() == "sent"), worker.output()
    [message] = sms_gateway.messages
    assert case.reference in message["text"]


def test_gateway_500_twice_then_200_through_the_worker(sms_gateway, worker):
    sms_gateway.fail_next = 2
    open_case()
    assert wait_for(lambda: status() == "sent"), worker.output()
    notification = Notification.objects.get()
    assert notification.attempts == 3
    assert sms_gateway.requests == 3
    assert len(sms_gateway.messages) == 1


def test_broker_down_when_the_case_commits_the_relay_sends_it_later(sms_gateway, worker, caplog):
    with broker_down(), caplog.at_level(logging.WARNING, logger="backoffice.queueing"):
        open_case()
    # The publish on commit failed (logged, not raised), so no task exists for the worker to run.
    [failed] = [r.getMessage() for r in caplog.records if r.name == "backoffice.queueing"]
    assert failed.startswith("could not publish notifications.send")
    assert status() == "queued"
    assert delivery.relay() == 1  # beat's relay, once the broker is back
    assert wait_for(lambda: status() == "sent"), worker.output()
    assert len(sms_gateway.messages) == 1


def test_a_sms_held_by_quiet_hours_is_sent_by_its_own_task_when_they_end(
    sms_gateway, worker, quiet_hours_ending
):
    ends = quiet_hours_ending(4)
    open_case(category="recharge_wrong_number")  # p2: held until the quiet hours end
    notification = Notification.objects.get()
    assert notification.not_before == ends
    # The worker has the task (received) and holds it until `not_before`: nothing is sent yet.
    assert wait_for(lambda: "Task notifications.send[" in worker.output()), worker.output()
    assert status() == "queued"
    assert sms_gateway.messages == []
    assert wait_for(lambda: status() == "sent"), worker.output()
    notification.refresh_from_db()
    assert notification.sent_at >= ends
    assert notification.attempts == 1
    assert len(sms_gateway.messages) == 1
    # one task, published when the case committed, held by the worker until `not_before`
    assert worker.output().count("Task notifications.send[") == 2  # received, then succeeded
