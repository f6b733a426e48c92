"""The daily summary e-mail to managers (Celery task `reports.daily_summary`, beat at 08:30),
queued in the notification outbox and delivered by its send task like every customer message."""

from datetime import datetime

import pytest
from celery.schedules import crontab
from django.conf import settings

from backoffice.celery import app
from notifications import delivery
from notifications.models import Notification
from reports.tasks import daily_summary
from tests.support.factories import staff
from tests.support.report_factories import SH

pytestmark = pytest.mark.django_db


def deliver_queued() -> list[str]:
    """What the send tasks do once the queue is committed: deliver every summary row."""
    return [delivery.deliver(pk) for pk in summaries().values_list("pk", flat=True)]


def summaries():
    return Notification.objects.filter(purpose="daily_summary")


@pytest.fixture
def managers(data):
    boss = data.people.manager
    boss.email = "boss@example.com"
    boss.save()
    staff("manager", username="no-address")  # no e-mail: skipped
    gone = staff("manager", username="gone")
    gone.email, gone.is_active = "gone@example.com", False
    gone.save()
    agent = staff("agent", "recharge", username="agent-with-mail")
    agent.email = "agent@example.com"
    agent.save()
    return boss


def test_summary_of_a_day_goes_to_active_managers_with_an_address(managers, data, mailoutbox):
    """10-20: D received; B's resolution met at 12:00; D's first response breached at 15:00. The
    deadlines are those due within three days from now (11-20 10:00): D and H."""
    queued = daily_summary("2026-10-20")

    assert queued == 1
    row = summaries().get()
    assert (row.case, row.purpose, row.channel, row.recipient, row.status) == (
        None,
        "daily_summary",
        "email",
        "boss@example.com",
        "queued",
    )
    assert deliver_queued() == ["sent"]
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["boss@example.com"]
    assert mail.from_email == settings.DEFAULT_FROM_EMAIL
    assert mail.subject == (
        "每日报表 Daily summary 2026-10-20: 达成率 achievement 100.0%, 超时 breaches 1"
    )
    body = mail.body
    chinese, english = body.split("-" * 70)
    assert "客服中心每日报表 · 2026-10-20（北京时间）" in chinese
    assert "受理工单：1 件" in chinese
    assert "SLA 计时结束：达成 1 个，超时 0 个，达成率 100.0%" in chinese
    assert "当前未结工单：6 件" in chinese
    assert "- 充值差错 Top-up errors：受理 0，达成 1，超时 0，达成率 100.0%，未结 2" in chinese
    assert "二、昨日超时（共 1 个）" in chinese
    assert f"- {data.ref('D')} 首次响应：截止 2026-10-20 15:00，超时于 2026-10-20 15:00" in chinese
    assert "三、三天内到期的监管处理时限（共 2 个）" in chinese
    assert f"- {data.ref('D')}：截止 2026-11-21 12:00" in chinese
    assert f"- {data.ref('H')}：截止 2026-11-23 09:00" in chinese
    assert "Daily summary · 2026-10-20 (China Standard Time)" in english
    assert "Cases received: 1" in english
    assert "SLA clocks stopped: 1 met, 0 breached, achievement 100.0%" in english
    assert f"- {data.ref('D')} First response: due 2026-10-20 15:00, breached 2026-10-20 15:00" in (
        english
    )
    assert "3. Regulatory decision deadlines due within 3 days (2)" in english


def test_a_second_delivery_sends_nothing(managers, mailoutbox):
    assert daily_summary("2026-10-20") == 1
    assert deliver_queued() == ["sent"]
    assert daily_summary("2026-10-20") == 0
    assert deliver_queued() == [None]
    assert summaries().count() == 1
    assert len(mailoutbox) == 1


def test_an_smtp_failure_is_retried_by_the_outbox(managers, mailoutbox, monkeypatch):
    from notifications import channels

    def refuse(notification):
        raise channels.Transient("SMTP server not answering")

    daily_summary("2026-10-20")
    with monkeypatch.context() as patch:
        patch.setitem(channels.SENDERS, "email", refuse)
        assert deliver_queued() == ["retry"]
    row = summaries().get()
    assert (row.status, row.attempts, row.last_error) == (
        "queued",
        1,
        "SMTP server not answering",
    )
    summaries().update(not_before=row.created_at)  # the backoff has passed
    assert deliver_queued() == ["sent"]
    assert len(mailoutbox) == 1


def test_default_day_is_yesterday_in_shanghai(managers, mailoutbox, freezer):
    freezer.move_to(datetime(2026, 10, 21, 8, 30, tzinfo=SH))  # 00:30 UTC

    daily_summary()
    deliver_queued()

    assert "Daily summary 2026-10-20" in mailoutbox[0].subject


def test_a_quiet_day_says_so(managers, mailoutbox):
    daily_summary("2026-10-03")  # National Day: nothing happened
    deliver_queued()

    body = mailoutbox[0].body
    assert "达成率 —" in body
    assert "二、昨日超时（共 0 个）\n无。" in body
    assert "2. Breaches yesterday (0)\nNone." in body


def test_beat_runs_it_daily_at_0830_shanghai():
    entry = settings.CELERY_BEAT_SCHEDULE["reports-daily-summary"]

    assert entry["task"] == "reports.daily_summary"
    assert entry["task"] in app.tasks
    schedule = entry["schedule"]
    assert isinstance(schedule, crontab)
    assert (schedule.hour, schedule.minute) == ({8}, {30})
    assert (schedule.day_of_week, schedule.day_of_month) == (set(range(7)), set(range(1, 32)))
    assert str(app.conf.timezone) == "Asia/Shanghai"


def test_the_summary_carries_a_fresh_audit_checkpoint(managers, mailoutbox, settings, tmp_path):
    """The managers' mailboxes keep a signed copy of the audit head outside the database."""
    from backoffice.audit.checkpoints import latest_checkpoint
    from backoffice.audit.models import AuditEntry

    settings.AUDIT_CHECKPOINT_DIR = tmp_path
    daily_summary("2026-10-20")
    deliver_queued()

    checkpoint = latest_checkpoint()
    head = AuditEntry.objects.order_by("-seq").first()
    assert (checkpoint.seq, checkpoint.head_hash) == (head.seq, head.hash)
    chinese, english = mailoutbox[0].body.split("-" * 70)
    assert f"四、审计链检查点\n第 {head.seq} 条，头部 {head.hash}，" in chinese
    assert f"校验码 {checkpoint.mac}" in chinese
    assert f"4. Audit chain checkpoint\nEntry {head.seq}, head {head.hash}, " in english
