"""The webhook's guards under calls at the same moment (PostgreSQL, one connection per thread):
the same signed call, the same reply under fresh signatures, the same failure report twice."""

import hashlib
import hmac
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from cases.models import Message
from inbound.models import InboundMessage, WebhookReceipt
from notifications import delivery
from notifications.models import Notification
from tests.support.factories import open_case

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
SECRET = "race-secret"
N = 6


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.SMS_WEBHOOK_SECRET = [SECRET]


def signed(payload, timestamp: int) -> tuple[bytes, str, str]:
    body = json.dumps(payload, ensure_ascii=False).encode()
    ts = str(timestamp)
    return (
        body,
        ts,
        hmac.new(SECRET.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest(),
    )


def all_at_once(calls: list[tuple[bytes, str, str]]) -> list[int]:
    barrier = threading.Barrier(len(calls))

    def one(call):
        body, ts, signature = call
        barrier.wait()
        try:
            return (
                Client()
                .post(
                    "/api/v1/sms/events/",
                    data=body,
                    content_type="application/json",
                    HTTP_X_SIGNATURE=signature,
                    HTTP_X_TIMESTAMP=ts,
                )
                .status_code
            )
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(one, calls))


REPLY = {"type": "reply", "id": "g-race", "from": "13912345678", "text": "钱还没到账"}


def test_the_same_signed_call_at_once_is_accepted_once():
    case = open_case()
    call = signed(REPLY, int(time.time()))
    statuses = all_at_once([call] * N)
    assert sorted(statuses) == [200] + [409] * (N - 1)
    assert WebhookReceipt.objects.count() == 1
    assert Message.objects.filter(case=case, body="钱还没到账").count() == 1


def test_the_same_reply_under_fresh_signatures_is_threaded_once():
    case = open_case()
    now = int(time.time())
    statuses = all_at_once([signed(REPLY, now - n) for n in range(N)])
    assert statuses == [200] * N
    assert WebhookReceipt.objects.count() == N
    assert InboundMessage.objects.get().status == "threaded"
    assert Message.objects.filter(case=case, body="钱还没到账").count() == 1


def test_the_same_failure_reported_at_once_falls_back_to_email_once(sms_gateway):
    from casework.services import CustomerData, case_open
    from tests.support.factories import order_data

    case_open(
        actor=None,
        customer=CustomerData(
            external_id="U7", name="张三", phone="+8613912345678", email="zhang@example.com"
        ),
        recharge_order=order_data(),
        channel="app",
        category="recharge_not_credited",
        subject="充值50元未到账",
    )
    sms = Notification.objects.get(channel="sms")
    Notification.objects.filter(pk=sms.pk).update(not_before=sms.created_at)
    assert delivery.deliver(sms.pk) == "sent"
    sms.refresh_from_db()
    report = {"type": "delivery", "message_id": sms.provider_message_id, "status": "failed"}
    now = int(time.time())
    assert all_at_once([signed(report, now - n) for n in range(N)]) == [200] * N
    assert Notification.objects.filter(channel="email").count() == 1
    sms.refresh_from_db()
    assert sms.delivery_status == "failed"
