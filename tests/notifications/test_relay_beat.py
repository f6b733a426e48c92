"""The outbox relay driven by a real `celery beat` through a real worker on Redis: messages whose
send task was lost go out, and a message held by quiet hours goes out once they end."""

import time

import pytest
from django.db import connection

from notifications.models import Notification
from tests.support.factories import open_case, order_data
from tests.support.workers import Beat, Worker, broker_down, purge_queue, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

BEAT_ENV = {"NOTIFY_RELAY_SECONDS": "1", "REFUND_RECONCILE_SECONDS": "1"}


def test_beat_relays_lost_messages_and_a_held_sms_when_its_hour_comes(
    sms_gateway, quiet_hours_ending
):
    with broker_down():  # the send tasks published on these commits are lost
        now = open_case(customer_id="U1")  # p1: due at once
        ends = quiet_hours_ending(10)
        held = open_case(
            customer_id="U2", order=order_data(order_id="R2"), category="recharge_wrong_number"
        )  # p2: held until the quiet hours end
    assert Notification.objects.get(case=held).not_before == ends
    purge_queue()
    connection.close()
    worker = Worker(extra_env={"SMS_GATEWAY_URL": sms_gateway.url}).start()
    beat = Beat(name="beat", extra_env=BEAT_ENV).start()
    try:
        assert wait_for(lambda: Notification.objects.get(case=now).status == "sent"), (
            worker.output() + beat.output()
        )
        assert wait_for(lambda: Notification.objects.get(case=held).status == "sent"), (
            worker.output() + beat.output()
        )
        time.sleep(2)  # more relay runs: nothing is sent twice
    finally:
        beat.stop()
        worker.stop()
    assert "Sending due task notifications-relay (notifications.relay)" in beat.output()
    for case in (now, held):
        notification = Notification.objects.get(case=case)
        assert (notification.status, notification.attempts) == ("sent", 1)
        assert notification.sent_at >= notification.not_before
    assert sorted(m["key"] for m in sms_gateway.messages) == sorted(
        f"notification-{n.pk}" for n in Notification.objects.all()
    )
    assert [m["text"] for m in sms_gateway.messages if now.reference in m["text"]]
    assert [m["text"] for m in sms_gateway.messages if held.reference in m["text"]]
