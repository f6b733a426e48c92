"""Sending one outbox row at most once at a time: claim (compare-and-set) → send → record.

A second delivery of the same task finds the row taken or sent and does nothing. A transient error
puts the row back in the queue with a later `not_before`; the task retries it with backoff, and the
relay on beat picks up whatever a lost task left behind.
"""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from backoffice.queueing import publish
from cases.choices import EventType
from cases.events import record_event
from notifications import channels
from notifications.models import Notification, OutboxStatus

logger = logging.getLogger(__name__)


def lease() -> timedelta:
    """How long a claimed message is the claimer's; after that the relay may hand it to another
    worker (the claimer died). Keyed sends make a second attempt harmless."""
    return timedelta(seconds=float(settings.NOTIFY_LEASE_SECONDS))


def backoff(attempts: int) -> float:
    return float(settings.NOTIFY_RETRY_BASE_SECONDS) * (2 ** max(attempts - 1, 0))


def _claimable(now) -> Q:
    return Q(status=OutboxStatus.QUEUED, not_before__lte=now) | Q(
        status=OutboxStatus.SENDING, lease_expires_at__lt=now
    )


def claim(pk: int) -> tuple[Notification, uuid.UUID] | None:
    now = timezone.now()
    token = uuid.uuid4()
    with transaction.atomic():
        won = Notification.objects.filter(_claimable(now), pk=pk).update(
            status=OutboxStatus.SENDING, lease_token=token, lease_expires_at=now + lease()
        )
    if not won:
        return None
    return Notification.objects.select_related("case").get(pk=pk), token


def _record(notification, token, **updates) -> bool:
    with transaction.atomic():
        won = Notification.objects.filter(
            pk=notification.pk, status=OutboxStatus.SENDING, lease_token=token
        ).update(attempts=F("attempts") + 1, lease_token=None, lease_expires_at=None, **updates)
        if won:
            status = updates["status"]
            payload = {
                "notification": notification.pk,
                "purpose": notification.purpose,
                "channel": notification.channel,
                "status": status,
            }
            if updates.get("last_error"):
                payload["error"] = updates["last_error"][:300]
            if status != OutboxStatus.QUEUED and notification.case_id:
                record_event(case=notification.case, type=EventType.NOTIFICATION, payload=payload)
    return bool(won)


def deliver(pk: int) -> str | None:
    """Returns "sent", "failed", "retry" (with the row queued again) or None (nothing to do)."""
    taken = claim(pk)
    if taken is None:
        return None
    notification, token = taken
    try:
        message_id = channels.SENDERS[notification.channel](notification)
    except channels.Permanent as exc:
        _record(notification, token, status=OutboxStatus.FAILED, last_error=str(exc)[:2000])
        return "failed"
    except channels.Transient as exc:
        attempts = notification.attempts + 1
        if attempts >= settings.NOTIFY_MAX_ATTEMPTS:
            _record(
                notification, token, status=OutboxStatus.FAILED, last_error=f"gave up: {exc}"[:2000]
            )
            return "failed"
        _record(
            notification,
            token,
            status=OutboxStatus.QUEUED,
            last_error=str(exc)[:2000],
            not_before=timezone.now() + timedelta(seconds=backoff(attempts)),
        )
        return "retry"
    _record(
        notification,
        token,
        status=OutboxStatus.SENT,
        sent_at=timezone.now(),
        provider_message_id=message_id[:100],
        last_error="",
    )
    return "sent"


def relay(*, now=None, limit: int = 500) -> int:
    """Publish a send task for every due message (queued and due, or stuck in sending)."""
    now = now or timezone.now()
    due = (
        Notification.objects.filter(_claimable(now))
        .order_by("not_before")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(publish("notifications.send", pk) for pk in due)
