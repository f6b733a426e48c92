"""The SMS gateway's webhook: its delivery reports and the customers' replies.

A call is authenticated by its signature: HMAC-SHA256, with one of the shared secrets
(`SMS_WEBHOOK_SECRET`, several while one is rotated), over `timestamp + "." + raw body`, sent as
`X-Signature` (hex) with `X-Timestamp` (unix seconds). A timestamp further than
`SMS_WEBHOOK_TOLERANCE_SECONDS` from now is refused, and so is a signature seen before: each
accepted call leaves a `WebhookReceipt`, written in the transaction of what the call did, so a
replay does nothing and a call that failed half-way can be sent again.

Each event is idempotent on its own too: a delivery report that says what is already recorded
changes nothing, and a reply is recorded once per gateway id (`InboundMessage`), so the gateway
may retry with a new signature.

A reply is threaded by the sender's number (normalised like every phone number here): to the one
case of theirs that is still open (a resolved one within the reopen window counts; after it, their
latest case, which then opens a follow-up case). Anything else — an unknown number, a number that
several customers share, several open cases — is held for an agent, with an `inbound_held` event
on the cases it may belong to. There is no SMS opt-out in the product: "STOP" or "退订" is threaded
like any reply, for an agent to act on.
"""

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.choices import ContactChannel, EventType, Status
from cases.events import record_event
from cases.models import Case, Customer
from cases.phones import InvalidPhone, normalize_phone
from cases.transitions import customer_may_reopen
from casework.services import customer_writes
from casework.services.channel_actor import channel_actor
from inbound.models import InboundMessage, InboundStatus, WebhookReceipt
from notifications.delivery_reports import delivery_report_record

logger = logging.getLogger(__name__)
SOURCE = "sms"


class Refused(Exception):
    """The call is not accepted: `status` (401 or 409) and a `code` clients can match on."""

    def __init__(self, status: int, code: str, detail: str):
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


@dataclass(frozen=True)
class DeliveryReport:
    message_id: str
    status: str
    error: str = ""
    at: datetime | None = None


@dataclass(frozen=True)
class Reply:
    id: str
    sender: str
    text: str
    at: datetime | None = None


# --- authentication -------------------------------------------------------------------------------


def _secrets() -> list[bytes]:
    configured = settings.SMS_WEBHOOK_SECRET
    if isinstance(configured, str):
        configured = configured.split(",")
    return [s.strip().encode() for s in configured if s and s.strip()]


def verify(*, body: bytes, timestamp: str, signature: str, now: datetime | None = None) -> str:
    """The call's signature, normalised, if it is signed by one of our secrets within the window;
    else `Refused`. Every secret is compared (constant time), whichever matches."""
    secrets = _secrets()
    if not secrets:
        raise Refused(401, "webhook_not_configured", _("The SMS webhook has no secret configured."))
    if not timestamp or not signature:
        raise Refused(401, "signature_missing", _("X-Signature and X-Timestamp are required."))
    text = timestamp.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 12):
        raise Refused(401, "bad_timestamp", _("X-Timestamp is not unix seconds."))
    sent = int(text)
    now = now or timezone.now()
    if abs(now.timestamp() - sent) > settings.SMS_WEBHOOK_TOLERANCE_SECONDS:
        raise Refused(401, "timestamp_out_of_window", _("X-Timestamp is too old or in the future."))
    given = signature.strip().lower().encode("ascii", "replace")
    message = text.encode() + b"." + body
    matched = False
    for secret in secrets:
        expected = hmac.new(secret, message, hashlib.sha256).hexdigest().encode()
        matched |= hmac.compare_digest(expected, given)
    if not matched:
        raise Refused(401, "bad_signature", _("The signature does not match."))
    return given.decode()


# --- the events -----------------------------------------------------------------------------------


@transaction.atomic
def sms_events_receive(*, signature: str, events: list, now: datetime | None = None) -> list[dict]:
    """Act on one verified call: its receipt, then each event in order; one result per event."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            WebhookReceipt.objects.create(source=SOURCE, key=signature, received_at=now)
    except IntegrityError:
        raise Refused(409, "replayed", _("This call was received before.")) from None
    results = []
    for event in events:
        if isinstance(event, DeliveryReport):
            results.append(_delivery(event))
        else:
            results.append(_reply(event, now))
    return results


def _delivery(report: DeliveryReport) -> dict:
    result = delivery_report_record(
        provider_message_id=report.message_id,
        status=report.status,
        error=report.error,
        at=report.at,
    )
    answer = {"type": "delivery", "message_id": report.message_id, "outcome": result.outcome}
    if result.fallback is not None:
        answer["fallback"] = "email"
    return answer


def _reply(reply: Reply, now: datetime) -> dict:
    answer = {"type": "reply", "id": reply.id}
    try:
        phone = normalize_phone(reply.sender)
    except InvalidPhone:
        phone = ""
    try:
        with transaction.atomic():
            inbound = InboundMessage.objects.create(
                channel=ContactChannel.SMS,
                external_id=reply.id,
                sender=(phone or reply.sender)[:254],
                body=reply.text,
                received_at=reply.at or now,
                status=InboundStatus.HELD,
            )
    except IntegrityError:
        return {**answer, "outcome": "duplicate"}
    target, reason, candidates = _target(phone, now)
    if target is None:
        _hold(inbound, reason, candidates)
        return {**answer, "outcome": InboundStatus.HELD, "reason": reason}
    written = customer_writes(
        actor=channel_actor("sms"), case=target, body=reply.text, channel=ContactChannel.SMS
    )
    inbound.status = InboundStatus.OPENED if written.opened else InboundStatus.THREADED
    inbound.case, inbound.message = written.case, written.message
    inbound.save(update_fields=["status", "case", "message"])
    return {**answer, "outcome": inbound.status, "case": written.case.reference}


def _target(phone: str, now: datetime) -> tuple[Case | None, str, list[Case]]:
    """(the case a reply from `phone` belongs to, "", []) or (None, why it is held, the cases it
    may belong to)."""
    if not phone:
        return None, "unknown_sender", []
    customers = list(Customer.objects.filter(phone=phone).order_by("pk")[:2])
    if not customers:
        return None, "unknown_sender", []
    if len(customers) > 1:
        return None, "several_customers", _open_cases(Customer.objects.filter(phone=phone), now)
    open_cases = _open_cases([customers[0]], now)
    if len(open_cases) == 1:
        return open_cases[0], "", []
    if len(open_cases) > 1:
        return None, "several_open_cases", open_cases
    latest = Case.objects.filter(customer=customers[0]).order_by("-created_at", "-pk").first()
    if latest is None:
        return None, "no_case", []
    return latest, "", []  # closed, or resolved too long ago: customer_writes opens a follow-up


def _open_cases(customers, now: datetime) -> list[Case]:
    """The customers' cases a message may still go on, newest first."""
    rows = (
        Case.objects.filter(customer__in=customers)
        .exclude(status=Status.CLOSED)
        .order_by("-created_at", "-pk")[:20]
    )
    return [
        c
        for c in rows
        if c.status != Status.RESOLVED
        or customer_may_reopen(status=c.status, resolved_at=c.resolved_at, at=now)
    ]


def _hold(inbound: InboundMessage, reason: str, candidates: list[Case]) -> None:
    inbound.reason = reason
    inbound.case = candidates[0] if len(candidates) == 1 else None
    inbound.save(update_fields=["reason", "case"])
    actor = channel_actor("sms")
    for case in candidates:
        record_event(
            case=case,
            type=EventType.INBOUND_HELD,
            actor=actor,
            payload={"inbound": inbound.pk, "channel": ContactChannel.SMS, "reason": reason},
        )


def receipts_clean(*, now: datetime | None = None) -> int:
    """Delete receipts older than `WEBHOOK_RECEIPTS_KEEP_HOURS` (their timestamps are refused by
    then anyway); the number deleted."""
    now = now or timezone.now()
    keep = max(
        timedelta(hours=settings.WEBHOOK_RECEIPTS_KEEP_HOURS),
        timedelta(seconds=2 * settings.SMS_WEBHOOK_TOLERANCE_SECONDS),
    )
    deleted, _ = WebhookReceipt.objects.filter(received_at__lt=now - keep).delete()
    return deleted
