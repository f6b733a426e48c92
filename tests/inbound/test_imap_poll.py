"""Inbound e-mail against a real Dovecot: mails delivered with IMAP APPEND, read by
`manage.py poll_mailbox --once` (the beat task's pass)."""

from email.utils import make_msgid

import pytest
from django.core.management import CommandError, call_command

from cases.choices import AttachmentSource, EventType, MessageKind
from cases.models import Attachment, Case, CaseEvent, Message
from casework.services import CustomerData, case_open
from inbound.models import InboundMessage, InboundStatus
from tests.inbound.mails import PNG, mail
from tests.support.workers import free_port

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def email_case(people):
    """A case of a customer whose e-mail is on file."""
    return case_open(
        actor=None,
        channel="app",
        category="recharge_not_credited",
        subject="充值50元未到账",
        customer=CustomerData(
            external_id="U-MAIL", name="王五", phone="+8613900000001", email="Wang.Wu@Example.com"
        ),
    )


def poll():
    call_command("poll_mailbox", "--once")


def test_a_new_mail_opens_a_case_through_intake(imap_mailbox, people):
    imap_mailbox.deliver(mail(sender="Li Si <li.si@example.com>", subject="话费充值未到账"))

    poll()

    row = InboundMessage.objects.get()
    assert row.status == InboundStatus.OPENED
    assert row.sender == "li.si@example.com"
    case = row.case
    assert case.channel == "email"
    assert case.category == "other"
    assert case.subject == "话费充值未到账"
    assert case.description == "我的话费充值没有到账。"
    assert case.customer.email == "li.si@example.com"
    assert case.customer.external_id == "email:li.si@example.com"
    assert case.queue_id is not None  # routed like every intake
    assert case.sla_clocks.exists()  # with its SLA clocks
    assert imap_mailbox.unseen() == []  # flagged \\Seen once handled
    poll()  # a second pass finds nothing new
    assert Case.objects.count() == 1
    assert InboundMessage.objects.count() == 1


def test_a_new_mail_from_a_known_address_is_that_customers(imap_mailbox, email_case):
    imap_mailbox.deliver(mail(sender="wang.wu@example.com", subject="另一个问题"))

    poll()

    row = InboundMessage.objects.get()
    assert row.status == InboundStatus.OPENED
    assert row.case != email_case
    assert row.case.customer_id == email_case.customer_id


def test_a_reply_with_the_token_in_the_address_is_threaded(imap_mailbox, email_case):
    before = Case.objects.count()
    imap_mailbox.deliver(
        mail(
            sender="WANG.WU@example.com",
            to=f"cs+{email_case.reference}@service.example.com",
            subject="Re: 您的投诉",
            text="补充：订单号 R1。\n\nOn Mon, 7 Dec 2026 someone wrote:\n> 旧的内容\n",
        )
    )

    poll()

    row = InboundMessage.objects.get()
    assert (row.status, row.case_id) == (InboundStatus.THREADED, email_case.pk)
    message = Message.objects.get(pk=row.message_id)
    assert message.case_id == email_case.pk
    assert message.kind == MessageKind.CUSTOMER
    assert message.body == "补充：订单号 R1。"  # the quoted history trimmed
    assert Case.objects.count() == before
    assert CaseEvent.objects.filter(case=email_case, type=EventType.CUSTOMER_MESSAGE).count() == 1


def test_a_reply_with_the_token_in_the_subject_is_threaded(imap_mailbox, email_case):
    imap_mailbox.deliver(
        mail(sender="wang.wu@example.com", subject=f"Re: [{email_case.reference}] 您的投诉")
    )

    poll()

    row = InboundMessage.objects.get()
    assert (row.status, row.case_id) == (InboundStatus.THREADED, email_case.pk)


def test_the_reference_in_the_subject_text_alone_does_not_thread(imap_mailbox, email_case):
    imap_mailbox.deliver(
        mail(sender="wang.wu@example.com", subject=f"关于 {email_case.reference} 的问题")
    )

    poll()

    row = InboundMessage.objects.get()
    assert row.status == InboundStatus.OPENED
    assert row.case_id != email_case.pk
    assert not Message.objects.filter(case=email_case, kind=MessageKind.CUSTOMER).exists()


def test_an_attachment_becomes_evidence_and_a_forbidden_one_is_named(imap_mailbox, email_case):
    imap_mailbox.deliver(
        mail(
            sender="wang.wu@example.com",
            to=f"cs+{email_case.reference}@service.example.com",
            text="截图见附件",
            files=[
                ("screenshot.png", PNG, "image", "png"),
                ("page.html", b"<html><script>x</script></html>", "text", "html"),
            ],
        )
    )

    poll()

    row = InboundMessage.objects.get()
    assert row.status == InboundStatus.THREADED
    assert row.reason == "attachment_file_type_not_allowed"
    attachment = Attachment.objects.get(case=email_case)
    assert attachment.source == AttachmentSource.EMAIL
    assert attachment.original_name == "screenshot.png"
    assert attachment.content_type == "image/png"
    assert attachment.message_id == row.message_id
    assert attachment.file.read() == PNG


def test_a_new_mail_with_an_attachment_opens_a_case_with_the_evidence(imap_mailbox, people):
    imap_mailbox.deliver(mail(files=[("shot.png", PNG, "image", "png")]))

    poll()

    row = InboundMessage.objects.get()
    assert row.status == InboundStatus.OPENED
    assert Attachment.objects.filter(case=row.case, source=AttachmentSource.EMAIL).count() == 1


@pytest.mark.parametrize(
    ("headers", "sender", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, "li.si@example.com", "auto_submitted"),
        ({"Precedence": "bulk"}, "li.si@example.com", "precedence"),
        ({"X-Autoreply": "yes"}, "li.si@example.com", "autoreply"),
        ({"X-Auto-Response-Suppress": "All"}, "li.si@example.com", "auto_response_suppress"),
        ({"Return-Path": "<>"}, "li.si@example.com", "bounce"),
        ({}, "MAILER-DAEMON@mx.example.com", "bounce"),
    ],
)
def test_automatic_mail_is_ignored(imap_mailbox, email_case, headers, sender, reason):
    imap_mailbox.deliver(
        mail(
            sender=sender,
            to=f"cs+{email_case.reference}@service.example.com",
            headers=headers,
        )
    )

    poll()

    row = InboundMessage.objects.get()
    assert (row.status, row.reason, row.case_id) == (InboundStatus.IGNORED, reason, None)
    assert Case.objects.count() == 1
    assert not Message.objects.filter(case=email_case, kind=MessageKind.CUSTOMER).exists()
    assert imap_mailbox.unseen() == []


def test_our_own_message_coming_back_is_a_loop(imap_mailbox, email_case):
    ours = make_msgid(idstring="notification-42", domain="backoffice.local")
    imap_mailbox.deliver(mail(sender="wang.wu@example.com", message_id=ours))
    imap_mailbox.deliver(
        mail(sender="wang.wu@example.com", headers={"Auto-Submitted": "no"}, subject="真人")
    )

    poll()

    loop = InboundMessage.objects.get(external_id=ours)
    assert (loop.status, loop.reason) == (InboundStatus.IGNORED, "loop")
    person = InboundMessage.objects.exclude(pk=loop.pk).get()
    assert person.status == InboundStatus.OPENED  # Auto-Submitted: no is a person


def test_a_mail_from_another_address_is_held_not_added(imap_mailbox, email_case):
    imap_mailbox.deliver(
        mail(
            sender="someone.else@example.com",
            to=f"cs+{email_case.reference}@service.example.com",
            files=[("shot.png", PNG, "image", "png")],
        )
    )

    poll()

    row = InboundMessage.objects.get()
    assert (row.status, row.reason, row.case_id) == (
        InboundStatus.HELD,
        "sender_mismatch",
        email_case.pk,
    )
    assert bytes(row.raw)  # kept for the agent
    assert not Message.objects.filter(case=email_case, kind=MessageKind.CUSTOMER).exists()
    assert not Attachment.objects.filter(case=email_case).exists()
    held = CaseEvent.objects.get(case=email_case, type=EventType.INBOUND_HELD)
    assert held.payload["reason"] == "sender_mismatch"
    assert Case.objects.count() == 1


def test_a_token_of_no_case_is_held(imap_mailbox, people):
    imap_mailbox.deliver(mail(to="cs+CS-20260101-999999@service.example.com"))

    poll()

    row = InboundMessage.objects.get()
    assert (row.status, row.reason, row.case_id) == (InboundStatus.HELD, "unknown_case", None)
    assert not Case.objects.exists()


def test_an_html_only_mail_gives_its_text_without_markup(imap_mailbox, people):
    imap_mailbox.deliver(
        mail(
            text=None,
            html=(
                "<html><head><style>p{color:red}</style></head><body><p>退款&amp;到账</p>"
                "<script>alert(1)</script><blockquote>旧邮件</blockquote><p>谢谢</p></body></html>"
            ),
        )
    )

    poll()

    case = InboundMessage.objects.get().case
    assert case.description == "退款&到账\n谢谢"


def test_the_same_mail_delivered_twice_is_handled_once(imap_mailbox, people):
    raw = mail(message_id="<same-1@mail.example.com>")
    imap_mailbox.deliver(raw)
    poll()
    imap_mailbox.deliver(raw)  # the sender's server retried

    poll()

    assert InboundMessage.objects.count() == 1
    assert Case.objects.count() == 1
    assert imap_mailbox.unseen() == []


def test_a_file_over_the_limit_is_left_out_and_named(imap_mailbox, email_case, settings):
    settings.ATTACHMENT_MAX_BYTES = 100
    imap_mailbox.deliver(
        mail(
            sender="wang.wu@example.com",
            to=f"cs+{email_case.reference}@service.example.com",
            text="日志见附件",
            files=[("log.txt", "记录".encode() * 100, "text", "plain")],
        )
    )

    poll()

    row = InboundMessage.objects.get()
    assert (row.status, row.reason) == (InboundStatus.THREADED, "attachment_file_too_big")
    assert Message.objects.get(pk=row.message_id).body == "日志见附件"
    assert not Attachment.objects.filter(case=email_case).exists()


def test_a_wrong_password_or_a_dead_server_is_a_command_error(imap_mailbox, settings):
    imap_mailbox.deliver(mail())
    settings.INBOUND_IMAP_PASSWORD = "wrong"
    with pytest.raises(CommandError, match="cannot be read"):
        poll()
    settings.INBOUND_IMAP_PORT = free_port()
    with pytest.raises(CommandError, match="cannot be read"):
        poll()
    assert not InboundMessage.objects.exists()
    assert imap_mailbox.unseen() != []  # left for the next pass
