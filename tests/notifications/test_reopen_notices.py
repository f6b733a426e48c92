"""Issue 25: the customer notices of the new events — the resolution notice invites the rating,
a reopen and a follow-up case are told to the customer — in zh-hans and en, once each, and held in
quiet hours like every SMS."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cases.choices import Status
from cases.models import Case
from casework.services import (
    CustomerData,
    case_open,
    case_transition,
    channel_actor,
    customer_writes,
)
from notifications.models import Notification
from tests.support.factories import order_data, staff

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def sh(*args):
    return datetime(*args, tzinfo=SH)


def _open(*, email="", phone="+8613912345678", language="zh-hans"):
    return case_open(
        actor=None,
        customer=CustomerData(
            external_id="U3001", name="李四", phone=phone, email=email, language=language
        ),
        recharge_order=order_data(),
        channel="app",
        category="recharge_wrong_number",  # p2: quiet hours apply
        subject="充错号码",
    )


@pytest.fixture
def agent():
    return staff("agent", "recharge", "general", username="agent1")


def _resolve(agent, case):
    case_transition(actor=agent, case=case, to=Status.RESOLVED, root_cause="user_error")


def test_the_resolution_notice_invites_the_rating_in_chinese(agent, freezer):
    freezer.move_to(sh(2026, 9, 30, 10, 0))
    case = _open()
    _resolve(agent, case)
    sms = Notification.objects.get(case=case, purpose="case_resolved")
    assert "为本次处理打分（1–5分）" in sms.body
    assert sms.body.startswith(f"【客服中心】投诉{case.reference}已处理完毕")


def test_the_resolution_notice_invites_the_rating_in_english(agent, freezer):
    freezer.move_to(sh(2026, 9, 30, 10, 0))
    case = _open(email="li@example.com", phone="", language="en")
    _resolve(agent, case)
    mail = Notification.objects.get(case=case, purpose="case_resolved")
    assert mail.channel == "email"
    assert "Please rate how we handled it (1 to 5)" in mail.body


def test_a_reopen_tells_the_customer_once_with_the_new_deadline(agent, freezer):
    freezer.move_to(sh(2026, 9, 30, 10, 0))
    case = _open()
    _resolve(agent, case)
    freezer.move_to(sh(2026, 10, 2, 10, 0))

    customer_writes(actor=channel_actor("sms"), case=case, body="还是不对", channel="sms")
    customer_writes(actor=channel_actor("sms"), case=case, body="补充一下", channel="sms")

    reopened = Notification.objects.filter(case=case, purpose="case_reopened")
    assert reopened.count() == 1
    notice = reopened.get()
    case.refresh_from_db()
    assert (case.cycle, notice.subject_key) == (2, f"case:{case.pk}:cycle:2")
    assert notice.body.startswith(f"【客服中心】您好李四，投诉{case.reference}已重新进入处理")
    assert "前给您答复" in notice.body and "{{" not in notice.body
    assert notice.not_before == sh(2026, 10, 2, 10, 0)


def test_a_reopen_at_night_is_held_until_eight(agent, freezer):
    freezer.move_to(sh(2026, 9, 30, 10, 0))
    case = _open()
    _resolve(agent, case)
    freezer.move_to(sh(2026, 10, 2, 23, 30))
    customer_writes(actor=channel_actor("sms"), case=case, body="还是不对", channel="sms")
    notice = Notification.objects.get(case=case, purpose="case_reopened")
    assert (notice.channel, notice.status) == ("sms", "queued")
    assert notice.not_before == sh(2026, 10, 3, 8, 0)


def test_a_reopen_is_told_in_english_by_email(agent, freezer):
    freezer.move_to(sh(2026, 9, 30, 10, 0))
    case = _open(email="li@example.com", phone="", language="en")
    _resolve(agent, case)
    customer_writes(actor=channel_actor("email"), case=case, body="Still wrong")
    notice = Notification.objects.get(case=case, purpose="case_reopened")
    assert (notice.channel, notice.language) == ("email", "en")
    assert notice.subject == f"Complaint {case.reference} reopened"
    assert "has been reopened and is being handled again" in notice.body


def test_a_follow_up_case_is_acknowledged_naming_both_cases(agent, freezer):
    freezer.move_to(sh(2026, 9, 30, 10, 0))
    case = _open()
    _resolve(agent, case)
    freezer.move_to(sh(2026, 9, 30, 10, 0) + timedelta(days=31))

    written = customer_writes(actor=channel_actor("sms"), case=case, body="又充错了", channel="sms")

    new = written.case
    assert Case.objects.count() == 2
    notices = list(Notification.objects.filter(case=new).values_list("purpose", flat=True))
    assert notices == ["follow_up_opened"]
    body = Notification.objects.get(case=new).body
    assert f"您就投诉{case.reference}发来的新消息已作为新投诉受理，编号{new.reference}" in body
    assert "{{" not in body
    assert not Notification.objects.filter(case=case, purpose="case_reopened").exists()


def test_a_follow_up_case_is_acknowledged_in_english(agent, freezer):
    freezer.move_to(sh(2026, 9, 30, 10, 0))
    case = _open(email="li@example.com", phone="", language="en")
    case_transition(actor=agent, case=case, to=Status.RESOLVED, root_cause="user_error")
    case_transition(actor=agent, case=case, to=Status.CLOSED)
    new = customer_writes(actor=channel_actor("email"), case=case, body="Again").case
    notice = Notification.objects.get(case=new)
    assert (notice.purpose, notice.language) == ("follow_up_opened", "en")
    assert f"your new message about complaint {case.reference}" in notice.body


def test_each_reopened_cycle_is_told_once_whoever_reopens_it(agent, freezer):
    freezer.move_to(sh(2026, 9, 30, 10, 0))
    case = _open()
    _resolve(agent, case)
    case_transition(actor=agent, case=case, to=Status.IN_PROGRESS)  # the agent reopens: cycle 2
    _resolve(agent, case)
    customer_writes(actor=channel_actor("sms"), case=case, body="还是不对", channel="sms")  # 3
    keys = list(
        Notification.objects.filter(case=case, purpose="case_reopened")
        .order_by("pk")
        .values_list("subject_key", flat=True)
    )
    assert keys == [f"case:{case.pk}:cycle:2", f"case:{case.pk}:cycle:3"]
