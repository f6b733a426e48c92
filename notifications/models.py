"""The notification outbox and its templates (PRODUCT.md capability 7).

The tables kept the names they had when these models lived in `cases` (`db_table`): the move
was a change of Django's state only, no data was copied.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.choices import Category, ContactChannel, Language


class Purpose(models.TextChoices):
    CASE_RECEIVED = "case_received", _("Case received")
    REPLY = "reply", _("Reply from the agent")
    DEADLINE_EXTENDED = "deadline_extended", _("Deadline extended")
    REFUND_APPROVED = "refund_approved", _("Refund approved")
    REFUND_PAID = "refund_paid", _("Refund paid")
    REFUND_FAILED = "refund_failed", _("Refund failed")
    CASE_RESOLVED = "case_resolved", _("Case resolved")
    CASE_REOPENED = "case_reopened", _("Case reopened")
    FOLLOW_UP_OPENED = "follow_up_opened", _("Follow-up case opened")
    DAILY_SUMMARY = "daily_summary", _("Daily summary (managers)")


class OutboxStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class DeliveryStatus(models.TextChoices):
    """What the SMS gateway reported after sending (its delivery report); empty until it does."""

    UNKNOWN = "", _("No report yet")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Not delivered")


class NotificationTemplate(models.Model):
    """A message per purpose, language and channel, written with Django's template language."""

    purpose = models.CharField(_("purpose"), max_length=24, choices=Purpose.choices)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=ContactChannel.choices)
    subject = models.CharField(_("e-mail subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    render_error = models.TextField(
        _("last rendering error"), blank=True, help_text=_("Set when a message failed to render")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        db_table = "cases_notificationtemplate"
        verbose_name = _("notification template")
        verbose_name_plural = _("notification templates")
        ordering = ["purpose", "language", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["purpose", "language", "channel"],
                name="one_template_per_purpose_language_channel",
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_purpose_display()} · {self.get_language_display()} · "
            f"{self.get_channel_display()}"
        )


class Notification(models.Model):
    """One message to a customer (or, without a case, to a member of staff). Written in the
    transaction of the event that causes it; unique per (subject, purpose, channel), so a repeated
    event never makes a second message."""

    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.CASCADE,
        related_name="notifications",
        null=True,
        blank=True,
        help_text=_("Empty for staff messages (the managers' daily summary)"),
        verbose_name=_("case"),
    )
    subject_key = models.CharField(_("about"), max_length=60, help_text=_("e.g. case:12, refund:3"))
    purpose = models.CharField(_("purpose"), max_length=24, choices=Purpose.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=ContactChannel.choices)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    recipient = models.CharField(_("to"), max_length=254)
    subject = models.CharField(_("e-mail subject"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)
    extra = models.JSONField(
        _("template values"),
        default=dict,
        blank=True,
        help_text=_("The event's values the text was written with (kept for the e-mail fallback)"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.QUEUED
    )
    not_before = models.DateTimeField(
        _("not before"), help_text=_("Quiet hours hold SMS until 08:00")
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=100, blank=True)
    delivery_status = models.CharField(
        _("delivery"),
        max_length=10,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.UNKNOWN,
        blank=True,
        help_text=_("The gateway's delivery report"),
    )
    delivered_at = models.DateTimeField(_("delivery reported"), null=True, blank=True)
    delivery_error = models.CharField(_("delivery error"), max_length=300, blank=True)
    lease_token = models.UUIDField(null=True, blank=True, verbose_name=_("claim token"))
    lease_expires_at = models.DateTimeField(null=True, blank=True, verbose_name=_("claim expires"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        db_table = "cases_notification"
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_key", "purpose", "channel"],
                name="one_notification_per_subject_purpose_channel",
            ),
        ]
        indexes = [
            models.Index(
                fields=["not_before"],
                condition=Q(status__in=["queued", "sending"]),
                name="notification_pending",
            ),
            models.Index(
                fields=["provider_message_id"],
                condition=~Q(provider_message_id=""),
                name="notification_provider_id",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_purpose_display()} → {self.get_channel_display()} "
            f"({self.get_status_display()})"
        )


class CannedSummary(models.Model):
    """A standard resolution summary for customers (admin-edited) that agents pick when resolving."""

    category = models.CharField(
        _("category"),
        max_length=40,
        choices=Category.choices,
        blank=True,
        help_text=_("Empty: offered for every category"),
    )
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    title = models.CharField(_("title"), max_length=80, help_text=_("What the agent picks from"))
    text = models.TextField(_("text"), max_length=1000, help_text=_("The customer reads this"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        db_table = "cases_cannedsummary"
        verbose_name = _("standard customer summary")
        verbose_name_plural = _("standard customer summaries")
        ordering = ["category", "language", "title", "id"]

    def __str__(self) -> str:
        return self.title
