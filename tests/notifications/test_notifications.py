from datetime import datetime
from email import message_from_string
from email.header import decode_header, make_header
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from casework.services import CustomerData, case_open, case_reply, case_transition
from notifications import delivery
from notifications.models import Notification, NotificationTemplate
from notifications.services import notify_case_received
from tests.support.factories import open_case, order_data, staff

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def sh(*args):
    return datetime(*args, tzinfo=SH)


def open_for(customer: CustomerData, **kwargs):
    values = {"channel": "app", "category": "recharge_not_credited", "subject": "充值50元未到账"}
    values.update(kwargs)
    return case_open(actor=None, customer=customer, recharge_order=order_data(), **values)


def send_all() -> list[str]:
    return [delivery.deliver(n.pk) for n in Notification.objects.order_by("pk")]


def test_case_received_by_sms_in_chinese_with_reference_and_deadlines(sms_gateway, freezer):
    freezer.move_to(sh(2026, 9, 30, 10, 0))
    case = open_for(CustomerData(external_id="U1", name="张三", phone="+8613912345678"))
    assert send_all() == ["sent"]
    [message] = sms_gateway.messages
    assert message["to"] == "+8613912345678"
    assert case.reference in message["text"]
    assert "已受理" in message["text"]
    assert (
        "2026-10-10 18:00" in message["text"]
    )  # resolution: 3 working days (10-10 is a makeup day)
    assert "2026-10-15 23:59" in message["text"]  # the regulator's 15 days
    assert "15日内" in message["text"]
    notification = Notification.objects.get()
    assert (notification.status, notification.attempts, notification.provider_message_id) == (
        "sent",
        1,
        "sms-1",
    )
    sent = case.events.filter(type="notification", payload__status="sent")
    assert sent.count() == 1


def test_case_received_by_email_in_english(smtp, freezer):
    freezer.move_to(sh(2026, 9, 30, 10, 0))
    customer = CustomerData(
        external_id="U2", name="Li Lei", email="lilei@example.com", language="en"
    )
    from cases.models import Customer

    case = open_for(customer)
    Customer.objects.filter(external_id="U2").update(preferred_channel="email")
    Notification.objects.all().delete()
    case.customer.refresh_from_db()
    notify_case_received(case)
    assert send_all() == ["sent"]
    [message] = smtp.messages
    assert message["to"] == ["lilei@example.com"]
    parsed = message_from_string(message["data"])
    subject = str(make_header(decode_header(parsed["Subject"])))
    assert subject == f"We have your complaint ({case.reference})"
    body = parsed.get_payload(decode=True).decode()
    assert "We commit to resolve it by 2026-10-10 18:00" in body
    assert "Top-up not received" in body  # the category in words for customers
    assert "Top-up paid but not credited" not in body  # not the internal label


def test_a_repeated_event_never_makes_a_second_message(sms_gateway):
    case = open_case()
    again = notify_case_received(case)
    assert Notification.objects.count() == 1
    assert again.pk == Notification.objects.get().pk


def test_a_customer_without_an_address_gets_a_timeline_note():
    case = open_for(CustomerData(external_id="U3", name="无联系方式"))
    assert Notification.objects.count() == 0
    note = case.events.get(type="notification")
    assert note.payload["status"] == "no_address"


def test_a_template_that_fails_to_render_is_an_admin_visible_error_not_a_crash(sms_gateway):
    NotificationTemplate.objects.filter(
        purpose="case_received", language="zh-hans", channel="sms"
    ).update(body="{% if %}broken")
    case = open_case()
    notification = Notification.objects.get(case=case)
    assert notification.status == "failed"
    assert notification.last_error.startswith("template error")
    template = NotificationTemplate.objects.get(
        purpose="case_received", language="zh-hans", channel="sms"
    )
    assert template.render_error
    assert sms_gateway.messages == []


def test_quiet_hours_hold_a_p2_sms_until_eight(sms_gateway, freezer):
    freezer.move_to(sh(2026, 9, 30, 23, 0))
    case = open_case(category="recharge_wrong_number")  # p2
    notification = Notification.objects.get(case=case)
    assert notification.not_before == sh(2026, 10, 1, 8, 0)
    assert send_all() == [None]
    assert sms_gateway.messages == []
    freezer.move_to(sh(2026, 10, 1, 8, 0))
    assert send_all() == ["sent"]
    assert len(sms_gateway.messages) == 1


def test_a_held_sms_has_its_task_set_for_eight_and_the_relay_picks_it_up_then(
    sms_gateway, freezer, published, django_capture_on_commit_callbacks
):
    freezer.move_to(sh(2026, 9, 30, 23, 0))
    case = open_case(category="recharge_wrong_number")  # p2
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify_case_received(case)
    assert published == [((notification.pk,), {"eta": sh(2026, 10, 1, 8, 0)})]
    assert delivery.relay() == 0  # not due: the relay leaves it alone
    freezer.move_to(sh(2026, 10, 1, 7, 59, 59))
    assert delivery.relay() == 0
    freezer.move_to(sh(2026, 10, 1, 8, 0))
    assert delivery.relay() == 1  # due now: published again at once, in case its task was lost
    assert published[1:] == [((notification.pk,), {})]
    assert send_all() == ["sent"]
    assert delivery.relay() == 0
    assert len(sms_gateway.messages) == 1


def test_a_message_due_now_is_published_at_once_without_an_eta(
    published, freezer, django_capture_on_commit_callbacks
):
    freezer.move_to(sh(2026, 9, 30, 23, 0))
    case = open_case()  # p1: not held at night
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify_case_received(case)
    assert notification.not_before == sh(2026, 9, 30, 23, 0)
    assert published == [((notification.pk,), {})]


def test_a_p1_sms_goes_at_once_even_at_night(sms_gateway, freezer):
    freezer.move_to(sh(2026, 9, 30, 23, 0))
    open_case()  # not credited: p1
    assert send_all() == ["sent"]
    assert len(sms_gateway.messages) == 1


def test_gateway_500_twice_then_200_one_message_three_attempts(sms_gateway, settings, freezer):
    settings.NOTIFY_RETRY_BASE_SECONDS = 1
    freezer.move_to(sh(2026, 9, 30, 10, 0))
    sms_gateway.fail_next = 2
    open_case()
    notification = Notification.objects.get()
    results = []
    for seconds in (0, 1, 3):
        freezer.move_to(sh(2026, 9, 30, 10, 0, seconds))
        results.append(delivery.deliver(notification.pk))
    assert results == ["retry", "retry", "sent"]
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 3)
    assert sms_gateway.requests == 3
    assert len(sms_gateway.messages) == 1


def test_reply_resolution_and_extension_notify_the_customer(sms_gateway):
    agent = staff("agent", "recharge", username="agent")
    supervisor = staff("supervisor", "recharge", username="sup")
    case = open_case()
    case_reply(actor=agent, case=case, body="已为您核实，款项将原路退回")
    from casework.services import case_extend_deadline

    case_extend_deadline(actor=supervisor, case=case, reason="需要运营商协查")
    case_transition(
        actor=agent,
        case=case,
        to="resolved",
        root_cause="carrier_fault",
        note="运营商已补充值",
        customer_summary="您的充值已到账，请查收",
    )
    purposes = list(Notification.objects.order_by("pk").values_list("purpose", flat=True))
    assert purposes == ["case_received", "reply", "deadline_extended", "case_resolved"]
    send_all()
    texts = [m["text"] for m in sms_gateway.messages]
    assert "已为您核实" in texts[1]
    assert "需要运营商协查" in texts[2]
    first, link = texts[3].split("\n")
    assert (
        first
        == f"【客服中心】投诉{case.reference}已处理完毕：您的充值已到账，请查收。如有疑问请回复。"
        "欢迎通过投诉进度页面为本次处理打分（1–5分）。"
    )
    assert link.startswith("查看进度、补充材料：http://127.0.0.1:8000/c/")


def test_case_api_lists_notifications_with_status(sms_gateway):
    agent = staff("agent", "recharge", username="agent")
    case = open_case()
    send_all()
    client = APIClient()
    client.force_authenticate(agent)
    body = client.get(f"/api/v1/cases/{case.reference}/").json()
    [row] = body["notifications"]
    assert (row["purpose"], row["channel"], row["status"], row["attempts"]) == (
        "case_received",
        "sms",
        "sent",
        1,
    )
    assert row["sent_at"] is not None
