"""Writing messages into the outbox, in the transaction of the event that causes them.

The customer's preferred channel and language decide (the other channel if the preferred one has no
address; a timeline note if neither has). SMS is held in quiet hours (22:00–08:00 in the calendar's
zone) unless the case is p1. Rendering is sandboxed: templates see plain strings only, and one that
fails to render leaves a failed notification and an error on the template, never a crash.
"""

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template import Context, Engine
from django.utils import timezone

from backoffice.cache import cached
from backoffice.held_rows import insert_rows
from backoffice.queueing import publish_on_commit, registered
from backoffice.wiring import plugged
from cases.choices import ContactChannel, EventType, Language, Priority
from cases.events import record_event
from notifications.customer import CustomerContext, customer_context
from notifications.models import Notification, NotificationTemplate, OutboxStatus, Purpose
from sla.models import SlaClock

logger = logging.getLogger(__name__)

# No loaders and no libraries beyond the built-ins: {% include %}, {% load %} and friends fail.
ENGINE = Engine(loaders=[], libraries={}, autoescape=False, string_if_invalid="")
QUIET_START = time(22, 0)
QUIET_END = time(8, 0)


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def not_before(*, channel: str, priority: str, now: datetime | None = None) -> datetime:
    """When a message may go: now, or for a non-p1 SMS in quiet hours, the next 08:00."""
    now = now or timezone.now()
    if channel != ContactChannel.SMS or priority == Priority.P1:
        return now
    local = now.astimezone(_zone())
    if QUIET_END <= local.time() < QUIET_START:
        return now
    day = local.date() if local.time() < QUIET_END else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_END, tzinfo=_zone())


def _address(customer, channel: str) -> str:
    return customer.phone if channel == ContactChannel.SMS else customer.email


def choose_channel(customer) -> tuple[str, str] | None:
    """(channel, address) by the customer's preference, falling back to the other channel."""
    preferred = customer.preferred_channel or ContactChannel.SMS
    other = ContactChannel.EMAIL if preferred == ContactChannel.SMS else ContactChannel.SMS
    for channel in (preferred, other):
        address = _address(customer, channel)
        if address:
            return channel, address
    return None


def _channel_for(customer, channel: str | None) -> tuple[str, str] | None:
    """The channel asked for (with the customer's address on it), else the customer's choice."""
    if channel is None:
        return choose_channel(customer)
    address = _address(customer, channel)
    return (channel, address) if address else None


def _local(moment) -> str:
    return moment.astimezone(_zone()).strftime("%Y-%m-%d %H:%M") if moment else ""


def base_context(case, language: str, clocks=None) -> CustomerContext:
    """The customer's view of the case (see `customer.py`): its deadlines and their basis from
    `clocks`, the case's clocks when the caller has them in hand, else read."""
    if clocks is None:
        clocks = SlaClock.objects.filter(case=case, cycle=case.cycle, subject="").order_by("pk")
    clocks = {c.metric: c for c in clocks if c.cycle == case.cycle and not c.subject}
    return customer_context(case, language=language, clocks=clocks, local=_local)


def status_url(case) -> str:
    """The customer's link to the case's status page, from `settings.CUSTOMER_STATUS_URL` (the
    portal, above this app, issues it); empty when nothing is plugged in."""
    for provider in plugged("CUSTOMER_STATUS_URL"):
        url = provider(case)
        if url:
            return url
    return ""


def render(template: NotificationTemplate, context: CustomerContext) -> tuple[str, str]:
    ctx = Context(context.as_dict(), autoescape=False)
    subject = ENGINE.from_string(template.subject).render(ctx).strip() if template.subject else ""
    body = ENGINE.from_string(template.body).render(ctx).strip()
    return subject[:200], body


def _template(purpose: str, language: str, channel: str) -> NotificationTemplate | None:
    templates = cached(
        "notifications.templates",
        lambda: {(t.purpose, t.language, t.channel): t for t in NotificationTemplate.objects.all()},
    )
    return templates.get((purpose, language, channel)) or templates.get(
        (purpose, Language.ZH_HANS, channel)
    )


def notify(
    *,
    case,
    purpose: str,
    subject_key: str,
    extra: dict | None = None,
    actor=None,
    new_subject: bool = False,
    clocks=None,
    channel: str | None = None,
) -> Notification | None:
    """Queue one message for the case's customer; None if they have no address (a timeline note).

    `channel`: this channel only (the e-mail fallback of an undelivered SMS), not the customer's
    preference.

    `new_subject`: the subject was created in this transaction (a new case), so no other
    transaction can have queued its message: no lookup and no savepoint. `clocks`: the case's
    clocks, when the caller has them (see `base_context`)."""
    customer = case.customer
    chosen = _channel_for(customer, channel)
    if chosen is None:
        record_event(
            case=case,
            type=EventType.NOTIFICATION,
            actor=actor,
            payload={
                "purpose": purpose,
                "status": "no_address",
                "detail": "no phone or e-mail on file",
            },
        )
        return None
    channel, address = chosen
    language = customer.language or Language.ZH_HANS
    if not new_subject:
        existing = Notification.objects.filter(
            subject_key=subject_key, purpose=purpose, channel=channel
        ).first()
        if existing is not None:
            return existing
    status, error, subject, body = OutboxStatus.QUEUED, "", "", ""
    template = _template(purpose, language, channel)
    context = None
    if template is not None:
        context = base_context(case, language, clocks).with_extra(
            {**(extra or {}), "status_url": status_url(case)}
        )
    if template is None:
        status, error = OutboxStatus.FAILED, f"no template for {purpose}/{language}/{channel}"
    else:
        try:
            subject, body = render(template, context)
        except Exception as exc:  # any rendering failure is the template's, not a crash
            status, error = OutboxStatus.FAILED, f"template error: {exc}"
            NotificationTemplate.objects.filter(pk=template.pk).update(
                render_error=f"{timezone.now():%Y-%m-%d %H:%M}: {exc}"[:2000]
            )
    notification = Notification(
        case=case,
        subject_key=subject_key,
        purpose=purpose,
        channel=channel,
        language=language,
        recipient=address,
        subject=subject,
        body=body,
        extra={str(k): "" if v is None else str(v) for k, v in (extra or {}).items()},
        status=status,
        last_error=error,
        not_before=not_before(channel=channel, priority=case.priority),
    )
    if new_subject:  # held to the end of a bulk intake (`backoffice.held_rows`)
        insert_rows([notification])
    else:
        try:
            with transaction.atomic():
                notification.save(force_insert=True)
        except IntegrityError:  # the same event, raced: the first message stands
            return Notification.objects.get(
                subject_key=subject_key, purpose=purpose, channel=channel
            )
    record_event(
        case=case,
        type=EventType.NOTIFICATION,
        actor=actor,
        payload={
            "notification": notification.pk,
            "purpose": purpose,
            "channel": channel,
            "status": status,
            **({"error": error} if error else {}),
        },
    )
    if status == OutboxStatus.QUEUED:
        send_when_due(notification)
    return notification


def notify_staff(
    *, user, purpose: str, subject_key: str, subject: str, body: str
) -> tuple[Notification | None, bool]:
    """Queue one e-mail to a member of staff (no case): (the row, whether it is new). The row
    queued before for the same subject and purpose if there is one; None without an address. It is
    sent like every customer message: claimed, retried, relayed."""
    if not user.email:
        return None, False
    try:
        with transaction.atomic():
            notification, created = Notification.objects.get_or_create(
                subject_key=subject_key,
                purpose=purpose,
                channel=ContactChannel.EMAIL,
                defaults={
                    "language": Language.ZH_HANS,
                    "recipient": user.email,
                    "subject": subject[:200],
                    "body": body,
                    "not_before": timezone.now(),
                },
            )
    except IntegrityError:  # raced by a second delivery of the same task: the first one stands
        existing = Notification.objects.get(
            subject_key=subject_key, purpose=purpose, channel=ContactChannel.EMAIL
        )
        return existing, False
    if created:
        send_when_due(notification)
    return notification, created


def send_when_due(notification: Notification) -> None:
    """After commit, publish the send task; a held message's task waits (eta) for `not_before`.

    A task message is only a wake-up call: if it is lost (or fires early), the relay on beat sends
    the message once `not_before` has passed.
    """
    task = registered("notifications.send")
    if notification.not_before > timezone.now():
        task = task.signature(options={"eta": notification.not_before})
    publish_on_commit(task, notification.pk)


# --- the events that notify -----------------------------------------------------------------------


def notify_case_received(case, actor=None, *, opened_now: bool = False, clocks=None):
    """The acknowledgement of a case; `opened_now`: the case was inserted in this transaction
    (intake), `clocks`: its clocks (see `notify`)."""
    return notify(
        case=case,
        purpose=Purpose.CASE_RECEIVED,
        subject_key=f"case:{case.pk}",
        actor=actor,
        new_subject=opened_now,
        clocks=clocks,
    )


def notify_reply(case, message, actor=None):
    return notify(
        case=case,
        purpose=Purpose.REPLY,
        subject_key=f"message:{message.pk}",
        extra={"reply": message.body},
        actor=actor,
    )


def notify_deadline_extended(case, clock, reason: str, actor=None):
    return notify(
        case=case,
        purpose=Purpose.DEADLINE_EXTENDED,
        subject_key=f"clock:{clock.pk}:ext:{clock.extension_level}",
        extra={"reason": reason, "new_due": _local(clock.due_at), "days": str(clock.amount)},
        actor=actor,
    )


def notify_case_resolved(case, actor=None):
    return notify(
        case=case,
        purpose=Purpose.CASE_RESOLVED,
        subject_key=f"case:{case.pk}:cycle:{case.cycle}",
        actor=actor,
    )


def notify_case_reopened(case, actor=None):
    """The customer's message reopened the resolved case: one message per new cycle."""
    return notify(
        case=case,
        purpose=Purpose.CASE_REOPENED,
        subject_key=f"case:{case.pk}:cycle:{case.cycle}",
        actor=actor,
    )


def notify_follow_up_opened(case, actor=None, *, clocks=None):
    """The acknowledgement of a case that follows an earlier one (`case.follows`), opened in
    this transaction by the customer writing after the reopen window: it names both cases."""
    return notify(
        case=case,
        purpose=Purpose.FOLLOW_UP_OPENED,
        subject_key=f"case:{case.pk}",
        extra={"follows": case.follows.reference},
        actor=actor,
        new_subject=True,
        clocks=clocks,
    )


def notify_refund(case, refund, purpose: str, actor=None, *, subject_key: str):
    """`subject_key`: the refund's subject, as refunds names it (one message per refund and
    purpose)."""
    return notify(
        case=case,
        purpose=purpose,
        subject_key=subject_key,
        extra={"amount": f"{refund.amount:.2f}", "currency": refund.currency},
        actor=actor,
    )
