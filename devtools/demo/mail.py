"""Two sample customer e-mails dropped into the demo's maildir (`INBOUND_MAILDIR`, read when
`INBOUND_BACKEND` is `maildir`, the demo's default): a reply to an open demo case, its token in the
address, and a new complaint. The beat's `inbound.poll_mailbox` (or `manage.py poll_mailbox --once`)
then shows one threaded reply and one new case, without a mail server."""

import mailbox
from email.message import EmailMessage
from email.utils import format_datetime

from django.conf import settings
from django.utils import timezone

from cases.choices import OPEN_STATUSES
from cases.models import Case
from inbound.models import InboundMessage

NEW_ID = "<demo-new-1@customer.example.com>"
SERVICE_ADDRESS = "cs@service.example.com"


def _mail(*, sender: str, to: str, subject: str, text: str, message_id: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(timezone.now())
    msg["Message-ID"] = message_id
    msg.set_content(text)
    return msg


def _present(box: mailbox.Maildir, ids: set[str]) -> bool:
    if InboundMessage.objects.filter(external_id__in=ids).exists():
        return True
    return any(message.get("Message-ID") in ids for message in box)


def seed(**_ignored) -> dict:
    if settings.INBOUND_BACKEND != "maildir":
        return {"skipped": True, "reason": "INBOUND_BACKEND is not maildir"}
    box = mailbox.Maildir(settings.INBOUND_MAILDIR, create=True)
    case = (
        Case.objects.filter(status__in=OPEN_STATUSES, customer__email__gt="")
        .select_related("customer")
        .order_by("-received_at", "id")
        .first()
    )
    mails = [
        _mail(
            sender="Zhao Liu <zhao.liu@customer.example.com>",
            to=SERVICE_ADDRESS,
            subject="话费充值 100 元一直没有到账",
            text="你好，我昨天用信用额度充值了 100 元话费，到现在还没有到账，请帮忙查一下。\n\n赵六",
            message_id=NEW_ID,
        )
    ]
    if case is not None:
        user, domain = SERVICE_ADDRESS.split("@")
        mails.append(
            _mail(
                sender=case.customer.email,
                to=f"{user}+{case.reference}@{domain}",
                subject=f"Re: [{case.reference}] {case.subject}",
                text="补充一下：我刚刚又查了一次，还是没有到账。截图稍后发给你们。",
                message_id=f"<demo-reply-{case.reference}@customer.example.com>",
            )
        )
    if _present(box, {str(m["Message-ID"]) for m in mails}):
        box.close()
        return {"skipped": True, "reason": "the sample mails are present already"}
    for message in mails:
        box.add(message)
    box.close()
    return {"skipped": False, "mails": len(mails)}
