import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.choices import AttachmentSource, MessageKind
from cases.files import INLINE_TYPES, label


class Message(models.Model):
    """A public reply, an internal note or a message from the customer."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="messages", verbose_name=_("case")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=MessageKind.choices)
    body = models.TextField(_("text"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="message_case_time")]

    def __str__(self) -> str:
        return f"{self.case_id} · {self.get_kind_display()}"


def attachment_path(instance, filename: str) -> str:
    """A random storage name in the case's folder: never the sender's file name (that is kept in
    `original_name` and only ever sent back in a Content-Disposition header). The folder lets a
    retention job find a case's files; the rows (`Attachment.case`) are the index."""
    return f"attachments/{instance.case_id}/{secrets.token_hex(16)}"


class Attachment(models.Model):
    """A file on a case (evidence): uploaded by an agent, or sent by the customer with a message.
    `content_type` is what the content was sniffed as (`cases.files`), never what the sender
    declared; the file is served only through the case's scope (`casework.views.files`)."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="attachments", verbose_name=_("case")
    )
    message = models.ForeignKey(
        Message,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("message"),
    )
    source = models.CharField(_("source"), max_length=12, choices=AttachmentSource.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="attachment_case_time")]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        """Shown inline (a preview): only the raster images the sniffer recognised."""
        return self.content_type in INLINE_TYPES

    @property
    def type_label(self) -> str:
        return label(self.content_type)
