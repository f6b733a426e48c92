"""What the SMS gateway says after sending: delivered, or not. An undelivered SMS falls back to
e-mail.

A report is found by the gateway's message id (`provider_message_id`, recorded when the message was
sent). Delivered is final; the same report twice changes nothing; a report for a message we do not
know (not ours, or not yet recorded as sent) is answered but changes nothing. The fallback is an
ordinary outbox message on the e-mail channel with the same subject and purpose, so the outbox's
unique key makes it exactly once, and a message that already went by e-mail is not sent again.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from cases.choices import ContactChannel, EventType
from cases.events import record_event
from notifications.models import DeliveryStatus, Notification
from notifications.services import notify

logger = logging.getLogger(__name__)


class Outcome:
    RECORDED = "recorded"
    UNCHANGED = "unchanged"
    UNKNOWN = "unknown_message"


@dataclass(frozen=True)
class DeliveryResult:
    outcome: str
    notification: Notification | None = None
    fallback: Notification | None = None
    fallback_skipped: str = ""


def _find(provider_message_id: str) -> Notification | None:
    return (
        Notification.objects.select_for_update(of=("self",))
        .select_related("case__customer")
        .filter(channel=ContactChannel.SMS, provider_message_id=provider_message_id)
        .order_by("pk")
        .first()
    )


def _no_fallback(notification: Notification) -> str:
    """Why an undelivered SMS gets no e-mail in its place ("" when it does)."""
    case = notification.case
    if case is None:
        return "no_case"
    if not case.customer.email:
        return "no_email"
    if Notification.objects.filter(
        subject_key=notification.subject_key,
        purpose=notification.purpose,
        channel=ContactChannel.EMAIL,
    ).exists():
        return "already_by_email"
    return ""


def _record_event(notification: Notification, skipped: str) -> None:
    payload = {
        "notification": notification.pk,
        "purpose": notification.purpose,
        "channel": notification.channel,
        "status": notification.status,
        "delivery": notification.delivery_status,
    }
    if notification.delivery_error:
        payload["error"] = notification.delivery_error
    if notification.delivery_status == DeliveryStatus.FAILED:
        payload["fallback"] = skipped or ContactChannel.EMAIL
    record_event(case=notification.case, type=EventType.NOTIFICATION, payload=payload)


@transaction.atomic
def delivery_report_record(
    *, provider_message_id: str, status: str, error: str = "", at: datetime | None = None
) -> DeliveryResult:
    """Record one delivery report (`status`: delivered or failed) on the SMS it is about."""
    if status not in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED):
        raise ValueError(f"unknown delivery status {status!r}")
    notification = _find(provider_message_id)
    if notification is None:
        logger.info("delivery report for unknown SMS %s", provider_message_id)
        return DeliveryResult(outcome=Outcome.UNKNOWN)
    current = notification.delivery_status
    if current == status or current == DeliveryStatus.DELIVERED:
        return DeliveryResult(outcome=Outcome.UNCHANGED, notification=notification)
    notification.delivery_status = status
    notification.delivered_at = at or timezone.now()
    notification.delivery_error = (error or "")[:300] if status == DeliveryStatus.FAILED else ""
    notification.save(update_fields=["delivery_status", "delivered_at", "delivery_error"])
    failed = status == DeliveryStatus.FAILED
    skipped = _no_fallback(notification) if failed else ""
    if notification.case_id:
        _record_event(notification, skipped)
    fallback = None
    if failed and not skipped:
        fallback = notify(
            case=notification.case,
            purpose=notification.purpose,
            subject_key=notification.subject_key,
            extra=notification.extra or None,
            channel=ContactChannel.EMAIL,
        )
    return DeliveryResult(
        outcome=Outcome.RECORDED,
        notification=notification,
        fallback=fallback,
        fallback_skipped=skipped,
    )
