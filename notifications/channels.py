"""The two ways a message leaves: e-mail through Django's backend, SMS through an HTTP gateway."""

import json
import logging
import smtplib
from email.utils import make_msgid
from pathlib import Path

import requests
from django.conf import settings
from django.core.mail import EmailMessage

logger = logging.getLogger(__name__)


class Transient(Exception):
    """Worth trying again later (timeouts, 5xx, connection trouble)."""


class Permanent(Exception):
    """Will not work by retrying (a refused address, a 4xx)."""


def send_email(notification) -> str:
    # The inbound poller knows its own mail by this shape (`inbound.parsing.is_ours`): a loop.
    message_id = make_msgid(
        idstring=f"notification-{notification.pk}", domain=settings.EMAIL_MESSAGE_ID_DOMAIN
    )
    email = EmailMessage(
        subject=notification.subject or notification.body[:60],
        body=notification.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        headers={"Message-ID": message_id},
    )
    try:
        email.send(fail_silently=False)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
        raise Permanent(f"refused: {exc}") from exc
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        raise Transient(f"{type(exc).__name__}: {exc}") from exc
    return message_id


def send_sms(notification) -> str:
    """POST {to, text} with the outbox id as the gateway's idempotency key.

    `SMS_GATEWAY_URL` may be `file:///path`: each message is written there as a file (development).
    """
    url = settings.SMS_GATEWAY_URL
    if url.startswith("file://"):
        folder = Path(url.removeprefix("file://"))
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"sms-{notification.pk:08d}.json"
        path.write_text(
            json.dumps(
                {"to": notification.recipient, "text": notification.body},
                ensure_ascii=False,
                indent=1,
            )
        )
        return path.name
    try:
        response = requests.post(
            url,
            json={
                "to": notification.recipient,
                "text": notification.body,
                "reference": f"notification-{notification.pk}",
            },
            headers={"Idempotency-Key": f"notification-{notification.pk}"},
            timeout=settings.SMS_GATEWAY_TIMEOUT,
        )
    except requests.RequestException as exc:
        raise Transient(f"{type(exc).__name__}: {exc}") from exc
    if response.status_code >= 500 or response.status_code in (408, 429):
        raise Transient(f"gateway answered {response.status_code}")
    if response.status_code >= 400:
        raise Permanent(f"gateway refused: {response.status_code} {response.text[:200]}")
    try:
        return str(response.json().get("id", ""))
    except ValueError:
        return ""


SENDERS = {"email": send_email, "sms": send_sms}
