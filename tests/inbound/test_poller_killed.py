"""A poller SIGKILLed mid-batch (`manage.py poll_mailbox --once` as a process of its own, told by
INBOUND_TEST_DIE_AFTER where to die): rerun, every mail gives exactly one message or case."""

import os
import subprocess
import sys

import pytest
from django.db import connection

from cases.models import Case, Message
from casework.services import CustomerData, case_open
from inbound.models import InboundMessage, InboundStatus
from tests.inbound.mails import mail
from tests.support.workers import ROOT, database_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MAILS = 6


def poller_env(dovecot) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backoffice.settings_test",
        "DATABASE_URL": database_url(),
        **{name: str(value) for name, value in dovecot.settings().items()},
    }
    env.pop("INBOUND_TEST_DIE_AFTER", None)
    return env


def run_poller(dovecot, die_after: str = "") -> subprocess.CompletedProcess:
    connection.close()  # the child commits; this process must not hold the rows open
    env = poller_env(dovecot)
    if die_after:
        env["INBOUND_TEST_DIE_AFTER"] = die_after
    return subprocess.run(
        [sys.executable, "manage.py", "poll_mailbox", "--once"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_poller_killed_mid_batch_handles_every_mail_exactly_once(dovecot, imap_mailbox, people):
    case = case_open(
        actor=None,
        channel="app",
        category="recharge_not_credited",
        subject="充值50元未到账",
        customer=CustomerData(external_id="U-K", phone="+8613900000002", email="k@example.com"),
    )
    for i in range(MAILS):
        if i % 2:  # replies to the case
            raw = mail(
                sender="k@example.com",
                to=f"cs+{case.reference}@service.example.com",
                text=f"reply {i}",
            )
        else:  # new complaints
            raw = mail(sender=f"new{i}@example.com", subject=f"new {i}", text=f"new {i}")
        imap_mailbox.deliver(raw)

    # Killed after handling the second mail, before flagging it \Seen.
    first = run_poller(dovecot, die_after="2:handled")
    assert first.returncode == -9, first.stderr
    assert "dying after 2 handled" in first.stdout
    assert len(imap_mailbox.unseen()) == MAILS - 1
    # Killed after recording the fourth mail (its row pending), before handling it.
    second = run_poller(dovecot, die_after="4:recorded")
    assert second.returncode == -9, second.stderr
    assert InboundMessage.objects.filter(status=InboundStatus.PENDING).count() == 1
    # A clean run finishes the pending row and the rest.
    third = run_poller(dovecot)
    assert third.returncode == 0, third.stderr
    assert "1 retried" in third.stdout

    assert imap_mailbox.unseen() == []
    rows = InboundMessage.objects.order_by("id")
    assert rows.count() == MAILS
    assert sorted(r.status for r in rows) == ["opened"] * 3 + ["threaded"] * 3
    for i in range(0, MAILS, 2):
        assert Case.objects.filter(subject=f"new {i}").count() == 1
    for i in range(1, MAILS, 2):
        assert Message.objects.filter(case=case, body=f"reply {i}").count() == 1
    assert Case.objects.count() == 1 + MAILS // 2

    # And one more pass changes nothing.
    assert run_poller(dovecot).returncode == 0
    assert InboundMessage.objects.count() == MAILS
    assert Case.objects.count() == 1 + MAILS // 2


def test_two_pollers_at_once_handle_every_mail_once(dovecot, imap_mailbox, people):
    for i in range(MAILS):
        imap_mailbox.deliver(mail(sender=f"p{i}@example.com", subject=f"both {i}", text=f"{i}"))
    connection.close()
    command = [sys.executable, "manage.py", "poll_mailbox", "--once"]
    pollers = [
        subprocess.Popen(
            command,
            cwd=ROOT,
            env=poller_env(dovecot),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in pollers]

    assert [p.returncode for p in pollers] == [0, 0], outputs
    assert InboundMessage.objects.count() == MAILS
    for i in range(MAILS):
        assert Case.objects.filter(subject=f"both {i}").count() == 1
    assert imap_mailbox.unseen() == []
