"""Every message a customer sent us over a channel, recorded once before it is acted on.

The row is the exactly-once guard: its key (`channel`, `external_id` — the e-mail's Message-ID or
the IMAP mailbox/UIDVALIDITY/UID when it has none, the SMS gateway's message id) is unique. An
e-mail's row is inserted first, `pending` with the raw mail, in a transaction of its own (ON
CONFLICT DO NOTHING); it is then handled in a second transaction that locks it and writes the
case message together with its final status. A poller that dies before the first commit leaves
nothing (the mail is still unseen and is read again); one that dies between the two leaves a
pending row, which the next run handles; one that dies after the second only has the mailbox
bookkeeping left (flag \\Seen), and the mail read again finds its row already handled."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.choices import ContactChannel


class InboundStatus(models.TextChoices):
    PENDING = "pending", _("Received, not yet handled")
    THREADED = "threaded", _("Added to its case")
    OPENED = "opened", _("Opened a new case")
    HELD = "held", _("Held for an agent")
    IGNORED = "ignored", _("Ignored (automatic or our own)")
    DISCARDED = "discarded", _("Discarded by an agent")


class InboundMessage(models.Model):
    channel = models.CharField(_("channel"), max_length=8, choices=ContactChannel.choices)
    external_id = models.CharField(_("message id"), max_length=255)
    sender = models.CharField(_("from"), max_length=254)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("text"), blank=True)
    received_at = models.DateTimeField(_("received"))
    status = models.CharField(_("status"), max_length=10, choices=InboundStatus.choices)
    reason = models.CharField(
        _("reason"),
        max_length=40,
        blank=True,
        help_text=_("Why it was held or ignored (a code; the screens say it in words)"),
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_messages",
        verbose_name=_("case"),
    )
    message = models.ForeignKey(
        "cases.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case message"),
    )
    raw = models.BinaryField(
        _("raw message"),
        blank=True,
        default=b"",
        help_text=_("The e-mail as received, kept while it is held (its attachments are in it)"),
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    handled_at = models.DateTimeField(_("handled"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], name="inbound_once_per_channel_id"
            ),
        ]
        indexes = [
            models.Index(fields=["received_at"], condition=Q(status="held"), name="inbound_held"),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.external_id} ({self.status})"


class WebhookReceipt(models.Model):
    """One accepted webhook call, by its signature: the replay guard. A call signed within the
    time window is accepted once; the same signed body again is refused. Rows older than the
    window can no longer be replayed (the timestamp is refused first) and are deleted by beat."""

    source = models.CharField(_("source"), max_length=16)
    key = models.CharField(_("signature"), max_length=128)
    received_at = models.DateTimeField(_("received"), db_index=True)

    class Meta:
        verbose_name = _("webhook receipt")
        verbose_name_plural = _("webhook receipts")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "key"], name="webhook_receipt_once"),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.key[:12]}"
