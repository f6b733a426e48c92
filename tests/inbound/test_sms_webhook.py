"""The SMS gateway's webhook over HTTP: signed calls only, each once; delivery reports on the
outbox (with the e-mail fallback), replies threaded to the sender's open case or held."""

import hashlib
import hmac
import json
import time

import pytest
from django.test import Client

from cases.choices import EventType
from cases.models import Case, CaseEvent, Message
from casework.services import CustomerData, case_open
from inbound.models import InboundMessage, WebhookReceipt
from notifications import delivery
from notifications.models import Notification
from tests.support.factories import open_case, order_data

pytestmark = pytest.mark.django_db
SECRET = "s3cret-current"
URL = "/api/v1/sms/events/"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.SMS_WEBHOOK_SECRET = ["s3cret-old", SECRET]
    settings.SMS_WEBHOOK_TOLERANCE_SECONDS = 300


def post(payload, *, secret=SECRET, timestamp=None, raw=None, signature=None, headers=True):
    body = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
    ts = str(int(time.time()) if timestamp is None else timestamp)
    sig = (
        signature
        or hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    )
    extra = {"HTTP_X_SIGNATURE": sig, "HTTP_X_TIMESTAMP": ts} if headers else {}
    return Client(enforce_csrf_checks=True).post(
        URL, data=body, content_type="application/json", **extra
    )


def state() -> tuple:
    """Everything a call could change."""
    return (
        WebhookReceipt.objects.count(),
        InboundMessage.objects.count(),
        Message.objects.count(),
        CaseEvent.objects.count(),
        Case.objects.count(),
        list(Notification.objects.order_by("pk").values_list("pk", "delivery_status", "channel")),
    )


def reply(id="g-1", sender="13912345678", text="我已经提供了截图"):
    return {
        "type": "reply",
        "id": id,
        "from": sender,
        "text": text,
        "at": "2026-12-07T10:00:00+08:00",
    }


# --- authentication ---------------------------------------------------------------------------------


def test_bad_signature_is_refused_and_changes_nothing():
    open_case()
    before = state()
    response = post(reply(), secret="not-the-secret")
    assert response.status_code == 401
    assert response.json()["code"] == "bad_signature"
    assert response["WWW-Authenticate"] == "HMAC-SHA256"
    assert state() == before


def test_missing_headers_are_refused():
    before = state()
    response = post(reply(), headers=False)
    assert (response.status_code, response.json()["code"]) == (401, "signature_missing")
    assert state() == before


@pytest.mark.parametrize("offset", [-305, 305, -10_000])  # a few seconds past the 300 s
def test_timestamp_outside_the_window_is_refused(offset):
    open_case()
    before = state()
    response = post(reply(), timestamp=int(time.time()) + offset)
    assert (response.status_code, response.json()["code"]) == (401, "timestamp_out_of_window")
    assert state() == before


@pytest.mark.parametrize("timestamp", ["abc", "1e9", "-5", "9" * 5000, "１２３"])
def test_a_timestamp_that_is_not_unix_seconds_is_refused(timestamp):
    response = post(reply(), timestamp=timestamp)
    assert (response.status_code, response.json()["code"]) == (401, "bad_timestamp")


def test_the_previous_secret_still_signs_during_rotation():
    open_case()
    response = post(reply(), secret="s3cret-old")
    assert response.status_code == 200, response.content


def test_no_secret_configured_refuses_everything(settings):
    settings.SMS_WEBHOOK_SECRET = []
    response = post(reply())
    assert (response.status_code, response.json()["code"]) == (401, "webhook_not_configured")


def test_a_replay_is_refused_and_nothing_happens_twice():
    case = open_case()
    body = json.dumps(reply()).encode()
    ts = str(int(time.time()))
    first = post(None, raw=body, timestamp=ts)
    assert first.status_code == 200, first.content
    assert first.json()["results"][0]["outcome"] == "threaded"
    after_first = state()
    again = post(None, raw=body, timestamp=ts)
    assert (again.status_code, again.json()["code"]) == (409, "replayed")
    assert state() == after_first
    assert Message.objects.filter(case=case, body="我已经提供了截图").count() == 1


def test_the_gateway_retrying_with_a_new_signature_does_not_thread_twice():
    case = open_case()
    assert post(reply(), timestamp=int(time.time()) - 5).status_code == 200
    retry = post(reply(), timestamp=int(time.time()))
    assert retry.status_code == 200
    assert retry.json()["results"] == [{"type": "reply", "id": "g-1", "outcome": "duplicate"}]
    assert Message.objects.filter(case=case, body="我已经提供了截图").count() == 1
    assert InboundMessage.objects.count() == 1


def test_old_receipts_are_cleaned_by_the_beat_task(settings, freezer):
    from inbound.tasks import clean_webhook_receipts

    settings.WEBHOOK_RECEIPTS_KEEP_HOURS = 24
    open_case()
    freezer.move_to("2026-12-01T10:00:00+08:00")
    assert post(reply("g-old")).status_code == 200
    freezer.move_to("2026-12-02T09:00:00+08:00")
    assert post(reply("g-new")).status_code == 200
    freezer.move_to("2026-12-02T10:30:00+08:00")
    assert clean_webhook_receipts() == 1
    assert WebhookReceipt.objects.count() == 1


# --- replies ---------------------------------------------------------------------------------------


def test_a_reply_is_threaded_to_the_senders_latest_open_case():
    old = open_case(order=order_data(order_id="R0"))
    Case.objects.filter(pk=old.pk).update(status="closed")
    case = open_case(order=order_data(order_id="R2"))
    response = post(reply(sender="+86 139 1234 5678"))
    assert response.status_code == 200, response.content
    [result] = response.json()["results"]
    assert result == {"type": "reply", "id": "g-1", "outcome": "threaded", "case": case.reference}
    message = Message.objects.get(case=case, body="我已经提供了截图")
    written = CaseEvent.objects.get(case=case, type=EventType.CUSTOMER_MESSAGE)
    assert written.actor.username == "channel-sms"
    inbound = InboundMessage.objects.get()
    assert (inbound.channel, inbound.external_id, inbound.status, inbound.case_id) == (
        "sms",
        "g-1",
        "threaded",
        case.pk,
    )
    assert inbound.sender == "+8613912345678"
    assert inbound.message_id == message.pk
    assert not Message.objects.filter(case=old, body="我已经提供了截图").exists()


def test_a_reply_about_a_closed_case_opens_a_follow_up():
    old = open_case()
    Case.objects.filter(pk=old.pk).update(status="closed")
    response = post(reply())
    [result] = response.json()["results"]
    assert result["outcome"] == "opened"
    follow_up = Case.objects.get(reference=result["case"])
    assert follow_up.follows_id == old.pk
    assert follow_up.channel == "sms"


def test_a_reply_with_several_open_cases_is_held_for_an_agent():
    first = open_case(order=order_data(order_id="R1"))
    second = open_case(order=order_data(order_id="R2"))
    messages = Message.objects.count()
    response = post(reply())
    [result] = response.json()["results"]
    assert result == {
        "type": "reply",
        "id": "g-1",
        "outcome": "held",
        "reason": "several_open_cases",
    }
    inbound = InboundMessage.objects.get()
    assert (inbound.status, inbound.reason, inbound.body) == (
        "held",
        "several_open_cases",
        "我已经提供了截图",
    )
    assert Message.objects.count() == messages
    for case in (first, second):
        [held] = CaseEvent.objects.filter(case=case, type=EventType.INBOUND_HELD)
        assert held.payload == {
            "inbound": inbound.pk,
            "channel": "sms",
            "reason": "several_open_cases",
        }


def test_a_reply_from_a_number_two_customers_share_is_held():
    open_case(customer_id="U1")
    open_case(customer_id="U2", order=order_data(order_id="R2"))
    [result] = post(reply()).json()["results"]
    assert (result["outcome"], result["reason"]) == ("held", "several_customers")


@pytest.mark.parametrize("sender", ["13800000000", "not-a-number", "10086"])
def test_a_reply_from_an_unknown_number_is_held(sender):
    open_case()
    cases = Case.objects.count()
    [result] = post(reply(sender=sender)).json()["results"]
    assert (result["outcome"], result["reason"]) == ("held", "unknown_sender")
    assert Case.objects.count() == cases
    assert InboundMessage.objects.get().status == "held"


def test_stop_is_threaded_like_any_reply():
    case = open_case()
    [result] = post(reply(text="退订")).json()["results"]
    assert result["outcome"] == "threaded"
    assert Message.objects.filter(case=case, body="退订").count() == 1


# --- delivery reports ------------------------------------------------------------------------------


def sent_sms(sms_gateway, **customer) -> Notification:
    values = {"external_id": "U9", "name": "张三", "phone": "+8613912345678"}
    values.update(customer)
    case_open(
        actor=None,
        customer=CustomerData(**values),
        recharge_order=order_data(),
        channel="app",
        category="recharge_not_credited",
        subject="充值50元未到账",
    )
    notification = Notification.objects.get(channel="sms")
    # sent now, even in quiet hours
    Notification.objects.filter(pk=notification.pk).update(not_before=notification.created_at)
    assert delivery.deliver(notification.pk) == "sent"
    notification.refresh_from_db()
    assert notification.provider_message_id
    return notification


def report(notification, status, error=""):
    return {
        "type": "delivery",
        "message_id": notification.provider_message_id,
        "status": status,
        "error": error,
        "at": "2026-12-07T10:01:00+08:00",
    }


def test_delivered_is_recorded_on_the_notification_and_the_case_detail(sms_gateway):
    notification = sent_sms(sms_gateway)
    response = post(report(notification, "delivered"))
    assert response.json()["results"] == [
        {"type": "delivery", "message_id": notification.provider_message_id, "outcome": "recorded"}
    ]
    notification.refresh_from_db()
    assert notification.delivery_status == "delivered"
    assert notification.delivered_at.isoformat() == "2026-12-07T02:01:00+00:00"
    event = CaseEvent.objects.filter(case=notification.case, payload__delivery="delivered").get()
    assert event.type == EventType.NOTIFICATION
    assert not Notification.objects.filter(channel="email").exists()


def test_a_failed_sms_falls_back_to_email_exactly_once(sms_gateway):
    notification = sent_sms(sms_gateway, email="zhang@example.com")
    body = report(notification, "failed", "UNDELIV: number out of service")
    first = post(body, timestamp=int(time.time()) - 1)
    assert first.json()["results"][0] == {
        "type": "delivery",
        "message_id": notification.provider_message_id,
        "outcome": "recorded",
        "fallback": "email",
    }
    again = post(body)  # the same report, re-sent (a new signature)
    assert again.json()["results"][0]["outcome"] == "unchanged"
    notification.refresh_from_db()
    assert (notification.delivery_status, notification.delivery_error) == (
        "failed",
        "UNDELIV: number out of service",
    )
    [email] = Notification.objects.filter(channel="email")
    assert (email.purpose, email.subject_key, email.recipient) == (
        notification.purpose,
        notification.subject_key,
        "zhang@example.com",
    )
    assert email.status == "queued"
    assert email.subject  # the e-mail template, with a subject
    assert notification.case.reference in email.body
    failed = CaseEvent.objects.filter(case=notification.case, payload__delivery="failed")
    assert [e.payload["fallback"] for e in failed] == ["email"]
    queued = CaseEvent.objects.filter(
        case=notification.case, type=EventType.NOTIFICATION, payload__channel="email"
    )
    assert queued.count() == 1


def test_a_failed_sms_without_an_email_is_only_recorded(sms_gateway):
    notification = sent_sms(sms_gateway)
    post(report(notification, "failed"))
    notification.refresh_from_db()
    assert notification.delivery_status == "failed"
    assert not Notification.objects.filter(channel="email").exists()
    event = CaseEvent.objects.get(case=notification.case, payload__delivery="failed")
    assert event.payload["fallback"] == "no_email"


def test_delivered_is_final(sms_gateway):
    notification = sent_sms(sms_gateway, email="zhang@example.com")
    post(report(notification, "delivered"), timestamp=int(time.time()) - 1)
    [result] = post(report(notification, "failed")).json()["results"]
    assert result["outcome"] == "unchanged"
    notification.refresh_from_db()
    assert notification.delivery_status == "delivered"
    assert not Notification.objects.filter(channel="email").exists()


def test_a_report_for_an_unknown_message_changes_nothing():
    before = state()
    response = post({"type": "delivery", "message_id": "nope", "status": "delivered"})
    assert response.json()["results"][0]["outcome"] == "unknown_message"
    assert state()[1:] == before[1:]


def test_a_batch_of_events_in_one_call(sms_gateway):
    notification = sent_sms(sms_gateway)
    response = post([report(notification, "delivered"), reply(id="g-9")])
    assert [r["outcome"] for r in response.json()["results"]] == ["recorded", "threaded"]


# --- malformed bodies ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"message_id": "x", "status": "delivered"}, "type"),
        ({"type": "bounce"}, "type"),
        ({"type": "delivery", "status": "delivered"}, "message_id"),
        ({"type": "delivery", "message_id": "x"}, "status"),
        ({"type": "delivery", "message_id": "x", "status": "lost"}, "status"),
        ({"type": "delivery", "message_id": "x" * 101, "status": "failed"}, "message_id"),
        ({"type": "delivery", "message_id": "x", "status": "failed", "at": "yesterday"}, "at"),
        ({"type": "delivery", "message_id": "x", "status": "failed", "error": ["a"]}, "error"),
        ({"type": "reply", "from": "13912345678", "text": "hi"}, "id"),
        ({"type": "reply", "id": "g", "text": "hi"}, "from"),
        ({"type": "reply", "id": "g", "from": "13912345678"}, "text"),
        ({"type": "reply", "id": "g", "from": "13912345678", "text": "   "}, "text"),
        ({"type": "reply", "id": "g", "from": "13912345678", "text": "a\x00b"}, "text"),
        ({"type": "reply", "id": "g", "from": "13912345678", "text": "x" * 20_001}, "text"),
        ({"type": "reply", "id": "g", "from": {"n": 1}, "text": "hi"}, "from"),
        ({"type": "reply", "id": "g", "from": "1" * 33, "text": "hi"}, "from"),
    ],
)
def test_a_malformed_event_is_a_400_naming_the_field(payload, field):
    before = state()
    response = post(payload)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert state() == before


def test_a_malformed_event_in_a_list_is_named_by_position():
    before = state()
    response = post([reply(), {"type": "reply", "id": "g-2", "from": "139"}])
    assert response.status_code == 400
    errors = response.json()
    assert (len(errors), errors[0], list(errors[1])) == (2, {}, ["text"])
    assert state() == before


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[" * 5000 + b"]" * 5000,
        b"42",
        b'"x"',
        b"null",
        b"[]",
        b"[1]",
    ],
)
def test_a_body_of_any_shape_is_a_400_never_a_500(raw):
    response = post(None, raw=raw)
    assert response.status_code == 400, response.content


def test_too_many_events_is_a_400():
    response = post([reply(id=f"g-{i}") for i in range(501)])
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_the_workspace_and_the_case_api_show_the_delivery_report(sms_gateway, client):
    from rest_framework.test import APIClient

    from tests.support.factories import staff

    notification = sent_sms(sms_gateway, email="zhang@example.com")
    post(report(notification, "failed", "UNDELIV"))
    manager = staff("manager", username="manager")
    client.force_login(manager)
    page = client.get(
        f"/cases/{notification.case.reference}/", headers={"accept-language": "zh-hans"}
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "送达回执：未送达" in html
    assert "已改用邮件重新发送。" in html
    api = APIClient()
    api.force_authenticate(manager)
    detail = api.get(f"/api/v1/cases/{notification.case.reference}/").json()
    sms = [n for n in detail["notifications"] if n["channel"] == "sms"]
    assert [(n["delivery_status"], n["delivery_error"]) for n in sms] == [("failed", "UNDELIV")]
    assert sms[0]["delivered_at"]
    emails = [n for n in detail["notifications"] if n["channel"] == "email"]
    assert [(n["purpose"], n["status"], n["delivery_status"]) for n in emails] == [
        ("case_received", "queued", None)
    ]


def test_a_held_reply_says_why_on_the_timeline(client):
    from tests.support.factories import staff

    first = open_case(order=order_data(order_id="R1"))
    open_case(order=order_data(order_id="R2"))
    post(reply())
    client.force_login(staff("manager", username="manager"))
    html = client.get(f"/cases/{first.reference}/", headers={"accept-language": "zh-hans"})
    assert "该客户有多个未结工单" in html.content.decode()
