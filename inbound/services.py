"""Inbound e-mail: every write of the `inbound` app.

`receive_email` records a mail once (`email_record`: its own transaction, ON CONFLICT DO NOTHING)
and then handles it (`email_handle`: one transaction that locks the row, writes what the mail
becomes and the row's final status). The rules of what a mail becomes are in `inbound.policy`.
An agent settles a held mail with `held_attach` or `held_discard`.
"""

import logging
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.audit.services import audit_record
from backoffice.errors import Conflict, DomainError, Invalid, NotFound
from cases import permissions
from cases.choices import AttachmentSource, Category, Channel, ContactChannel, EventType
from cases.events import audit_case, record_event
from cases.models import Case
from casework.services import (
    IncomingFile,
    case_customer_message,
    case_intake,
    channel_actor,
    customer_writes,
)
from casework.services.attachments import check_files
from inbound import policy
from inbound.models import InboundMessage, InboundStatus
from inbound.parsing import ParsedMail, parse
from privacy.hashing import personal_ref

logger = logging.getLogger(__name__)

NO_TEXT = "(no text)"


@dataclass(frozen=True)
class Received:
    message: InboundMessage
    new: bool  # False: the mail had been recorded before (a second delivery, a rerun)


def email_key(raw: bytes, *, fallback: str) -> str:
    """The mail's exactly-once key: its Message-ID, or `fallback` (the mailbox's UID key)."""
    message_id = parse_message_id(raw)
    return (message_id or fallback)[:255]


def parse_message_id(raw: bytes) -> str:
    try:
        return parse(raw).message_id
    except Exception:
        logger.warning("inbound mail without a readable Message-ID", exc_info=True)
        return ""


def email_record(*, raw: bytes, external_id: str) -> Received:
    """Insert the mail's row (pending, with the raw bytes) in a transaction of its own; a row
    with the same key is left as it is. Safe to call again for the same mail at any time."""
    table = connection.ops.quote_name(InboundMessage._meta.db_table)
    now = timezone.now()
    try:
        parsed = parse(raw)
        sender, subject = parsed.sender[:254], parsed.subject[:255]
    except Exception:
        sender, subject = "", ""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (channel, external_id, sender, subject, body, received_at, "  # noqa: S608
            "status, reason, raw, created_at) VALUES (%s, %s, %s, %s, '', %s, %s, '', %s, %s) "
            "ON CONFLICT (channel, external_id) DO NOTHING RETURNING id",
            [
                ContactChannel.EMAIL,
                external_id,
                sender,
                subject,
                now,
                InboundStatus.PENDING,
                raw,
                now,
            ],
        )
        row = cursor.fetchone()
    if row is not None:
        return Received(message=InboundMessage.objects.get(pk=row[0]), new=True)
    existing = InboundMessage.objects.get(channel=ContactChannel.EMAIL, external_id=external_id)
    return Received(message=existing, new=False)


def receive_email(raw_bytes: bytes, *, external_id: str) -> InboundMessage:
    """Record the mail once, then handle it if it is still pending. Returns its row."""
    received = email_record(raw=raw_bytes, external_id=external_id)
    if received.message.status != InboundStatus.PENDING:
        return received.message
    return email_handle(message_id=received.message.pk)


def pending_ids(*, channel: str = ContactChannel.EMAIL) -> list[int]:
    return list(
        InboundMessage.objects.filter(channel=channel, status=InboundStatus.PENDING)
        .order_by("id")
        .values_list("id", flat=True)
    )


def email_handle(*, message_id: int) -> InboundMessage:
    """Handle one pending mail (row-locked: a second poller waits, then finds it handled)."""
    with transaction.atomic():
        row = InboundMessage.objects.select_for_update().get(pk=message_id)
        if row.status != InboundStatus.PENDING:
            return row
        try:
            parsed = parse(bytes(row.raw))
        except Exception:
            logger.warning("inbound mail %s cannot be parsed", row.pk, exc_info=True)
            return _finish(row, status=InboundStatus.IGNORED, reason="unreadable")
        row.sender = parsed.sender[:254]
        row.subject = parsed.subject[:255]
        row.body = parsed.text
        row.received_at = parsed.received_at
        return _decide(row, parsed)


def _decide(row: InboundMessage, parsed: ParsedMail) -> InboundMessage:
    if parsed.automatic:
        return _finish(row, status=InboundStatus.IGNORED, reason=parsed.automatic)
    token = parsed.token
    if not token:
        return _open_case(row, parsed)
    case = Case.objects.select_related("customer").filter(reference=token).first()
    if case is None:
        return _hold(row, case=None, reason="unknown_case")
    if not policy.sender_matches(sender=parsed.sender, customer=case.customer):
        return _hold(row, case=case, reason="sender_mismatch")
    return _thread(row, parsed, case=case)


def _finish(row: InboundMessage, *, status: str, reason: str = "", keep_raw=False, **fields):
    row.status = status
    row.reason = reason[:40]
    for name, value in fields.items():
        setattr(row, name, value)
    if not keep_raw:
        row.raw = b""
    row.save()
    logger.info("inbound mail %s: %s %s", row.pk, status, reason)
    return row


def _hold(row: InboundMessage, *, case: Case | None, reason: str) -> InboundMessage:
    if case is not None:
        record_event(
            case=case,
            type=EventType.INBOUND_HELD,
            actor=channel_actor("email"),
            payload={"inbound_id": row.pk, "reason": reason, "sender": row.sender},
        )
    return _finish(row, status=InboundStatus.HELD, reason=reason, keep_raw=True, case=case)


def _files(parsed: ParsedMail) -> tuple[list[IncomingFile], str]:
    """The mail's files that the attachment rules accept, and the reason code when one was
    left out (too big, a forbidden type, too many): the text still goes on the case."""
    items = [IncomingFile(name=name, data=data) for name, data in parsed.files]
    kept, refused = [], ""
    for item in items:
        try:
            check_files([item], field="attachments")
        except Invalid as exc:
            refused = refused or f"attachment_{exc.code}"
            continue
        kept.append(item)
    try:
        check_files(kept, field="attachments")
    except Invalid as exc:
        return [], f"attachment_{exc.code}"
    return kept, refused


def _body(parsed: ParsedMail) -> str:
    text = parsed.text.strip() or parsed.subject.strip() or NO_TEXT
    return text[: policy.MAX_BODY]


def _thread(row: InboundMessage, parsed: ParsedMail, *, case: Case) -> InboundMessage:
    files, refused = _files(parsed)
    try:
        written = customer_writes(
            actor=channel_actor("email"),
            case=case,
            body=_body(parsed),
            files=files,
            source=AttachmentSource.EMAIL,
            channel=Channel.EMAIL,
        )
    except DomainError as exc:
        logger.warning("inbound mail %s not threaded: %s", row.pk, exc)
        return _hold(row, case=case, reason="refused")
    status = InboundStatus.OPENED if written.opened else InboundStatus.THREADED
    return _finish(row, status=status, reason=refused, case=written.case, message=written.message)


def _open_case(row: InboundMessage, parsed: ParsedMail) -> InboundMessage:
    actor = channel_actor("email")
    customer = policy.customer_for(parsed.sender)
    try:
        opened = case_intake(
            actor=actor,
            channel=Channel.EMAIL,
            category=Category.OTHER,
            subject=(parsed.subject or _("E-mail from %(sender)s") % {"sender": parsed.sender})[
                :200
            ],
            description=_body(parsed),
            received_at=parsed.received_at,
            customer=customer,
        ).case
    except DomainError as exc:
        logger.warning("inbound mail %s opened no case: %s", row.pk, exc)
        return _hold(row, case=None, reason="refused")
    files, refused = _files(parsed)
    message = None
    if files:
        message = case_customer_message(
            actor=actor,
            case=opened,
            body=_("Files sent with the e-mail."),
            files=files,
            source=AttachmentSource.EMAIL,
        )
    return _finish(row, status=InboundStatus.OPENED, reason=refused, case=opened, message=message)


# ---- an agent settles a held mail -------------------------------------------------------------


def _locked_held(inbound_id: int) -> InboundMessage:
    row = InboundMessage.objects.select_for_update().filter(pk=inbound_id).first()
    if row is None:
        raise NotFound(_("No such message."))
    if row.status != InboundStatus.HELD:
        raise Conflict(_("This message is no longer held."), code="not_held")
    return row


@transaction.atomic
def held_attach(*, actor, inbound_id: int, case: Case) -> InboundMessage:
    """An agent checked a held mail and puts it on `case` (one they may work): the message and
    its files are added as the customer's, as if it had been threaded."""
    permissions.require(policy.may_handle_held(actor), _("Only agents handle held messages."))
    row = _locked_held(inbound_id)
    permissions.require(
        permissions.can_work_case(actor, case),
        _("You may only attach a message to a case you work."),
    )
    if row.channel == Channel.SMS:  # a reply by SMS: its text, no files
        written = customer_writes(
            actor=channel_actor("sms"), case=case, body=row.body, channel=Channel.SMS
        )
        refused = ""
    else:
        parsed = parse(bytes(row.raw))
        files, refused = _files(parsed)
        written = customer_writes(
            actor=channel_actor("email"),
            case=case,
            body=_body(parsed),
            files=files,
            source=AttachmentSource.EMAIL,
            channel=Channel.EMAIL,
        )
    record_event(
        case=written.case,
        type=EventType.INBOUND_HELD,
        actor=actor,
        payload={"inbound_id": row.pk, "released": True, "held_for": row.reason},
    )
    audit_case(
        actor=actor,
        action="inbound.attach",
        case=written.case,
        payload={"inbound_id": row.pk, "reason": row.reason, "sender": personal_ref(row.sender)},
    )
    return _finish(
        row,
        status=InboundStatus.OPENED if written.opened else InboundStatus.THREADED,
        reason=refused or row.reason,
        case=written.case,
        message=written.message,
        handled_by=actor,
        handled_at=timezone.now(),
    )


@transaction.atomic
def held_discard(*, actor, inbound_id: int, reason: str) -> InboundMessage:
    """An agent drops a held mail, saying why (audited)."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid({"reason": [_("Say why the message is discarded.")]})
    if len(reason) > 500:
        raise Invalid({"reason": [_("At most %(max)d characters.") % {"max": 500}]})
    permissions.require(policy.may_handle_held(actor), _("Only agents handle held messages."))
    row = _locked_held(inbound_id)
    audit_record(
        actor=actor,
        action="inbound.discard",
        target=row,
        payload={
            "reason": personal_ref(reason),
            "held_for": row.reason,
            "sender": personal_ref(row.sender),
        },
    )
    if row.case_id is not None:
        record_event(
            case=row.case,
            type=EventType.INBOUND_HELD,
            actor=actor,
            payload={"inbound_id": row.pk, "discarded": True, "why": reason},
        )
    return _finish(
        row,
        status=InboundStatus.DISCARDED,
        reason=row.reason,
        handled_by=actor,
        handled_at=timezone.now(),
    )
