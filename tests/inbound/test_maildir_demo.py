"""The demo's mailbox without a server: `devtools.demo.mail.seed` drops two sample mails into the
maildir, and one pass (`manage.py poll_mailbox --once`, or the beat task) threads the reply and
opens a case for the new mail; each mail is then flagged seen and never read twice."""

import mailbox
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from backoffice.celery import app as celery_app
from cases.choices import MessageKind
from cases.models import Case, Message
from casework.services import CustomerData, case_open
from devtools.demo.mail import seed
from inbound.models import InboundMessage, InboundStatus
from inbound.tasks import poll_mailbox

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def maildir(settings, tmp_path):
    settings.INBOUND_BACKEND = "maildir"
    settings.INBOUND_MAILDIR = tmp_path / "maildir"
    return tmp_path / "maildir"


@pytest.fixture
def demo_case(people):
    return case_open(
        actor=None,
        channel="app",
        category="recharge_not_credited",
        subject="充值50元未到账",
        customer=CustomerData(
            external_id="DEMO-C1", phone="+8613900000009", email="demo.customer0001@example.com"
        ),
    )


def test_the_demo_mails_give_one_threaded_reply_and_one_new_case(maildir, demo_case):
    assert seed() == {"skipped": False, "mails": 2}
    assert seed()["skipped"] is True  # idempotent

    out = StringIO()
    call_command("poll_mailbox", "--once", stdout=out)

    assert "read 2 mail(s), 2 new" in out.getvalue()
    reply = InboundMessage.objects.get(case=demo_case)
    assert reply.status == InboundStatus.THREADED
    assert Message.objects.filter(case=demo_case, kind=MessageKind.CUSTOMER).count() == 1
    new = InboundMessage.objects.get(status=InboundStatus.OPENED)
    assert new.case.subject == "话费充值 100 元一直没有到账"
    assert new.case.customer.email == "zhao.liu@customer.example.com"
    box = mailbox.Maildir(maildir, create=False)
    assert sorted(m.get_flags() for m in box) == ["S", "S"]
    assert seed()["skipped"] is True  # handled mails are not dropped again

    again = StringIO()
    call_command("poll_mailbox", "--once", stdout=again)
    assert "read 0 mail(s)" in again.getvalue()
    assert InboundMessage.objects.count() == 2


def test_the_beat_task_reads_the_mailbox_and_does_nothing_when_off(settings, maildir, demo_case):
    seed()
    assert poll_mailbox() == 2
    assert Case.objects.count() == 2

    settings.INBOUND_BACKEND = ""
    seed_dir = mailbox.Maildir(maildir)
    seed_dir.add(b"From: a@example.com\r\nSubject: x\r\nMessage-ID: <off@x>\r\n\r\nhello\r\n")
    assert poll_mailbox() == 0
    assert InboundMessage.objects.count() == 2


def test_the_seeder_does_nothing_unless_the_demo_reads_a_maildir(settings, tmp_path, people):
    settings.INBOUND_BACKEND = "imap"
    settings.INBOUND_MAILDIR = tmp_path / "md"

    assert seed()["skipped"] is True
    assert not (tmp_path / "md").exists()


def test_the_command_refuses_without_a_backend(settings):
    settings.INBOUND_BACKEND = ""
    with pytest.raises(CommandError, match="INBOUND_BACKEND"):
        call_command("poll_mailbox", "--once")


def test_beat_runs_the_poll_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["inbound-poll-mailbox"]
    assert entry["task"] == "inbound.poll_mailbox"
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"] == 60.0
