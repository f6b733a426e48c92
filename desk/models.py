"""Per-staff state: the in-app notifications of one person, and the case-list views they saved.

A notification stores its kind and parameters, never a rendered sentence: the text is built when
it is shown, in the reader's language (`desk.texts`). `key` names the event that caused it, so a
second delivery of the same event inserts nothing (unique per recipient)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from desk.choices import NotificationKind


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="desk_notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.CASCADE,
        related_name="desk_notifications",
        verbose_name=_("case"),
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    key = models.CharField(_("event key"), max_length=120)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("staff notification")
        verbose_name_plural = _("staff notifications")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="desk_notification_once"),
        ]
        indexes = [
            models.Index(fields=["recipient", "-id"], name="desk_inbox"),
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="desk_unread"
            ),
        ]

    def __str__(self):
        return f"{self.kind} → {self.recipient_id} ({self.key})"


class SavedView(models.Model):
    """A named filter set of the case list (the list's query string, checked by its FilterSet),
    saved from `path`; shared with `queue` (by a supervisor of it) or private to its owner."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_views",
        verbose_name=_("owner"),
    )
    name = models.CharField(_("name"), max_length=80)
    path = models.CharField(_("list"), max_length=200)
    query = models.CharField(_("filters"), max_length=2000, blank=True)
    queue = models.ForeignKey(
        "cases.Queue",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="saved_views",
        verbose_name=_("shared with queue"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="desk_view_name_once"),
        ]

    def __str__(self):
        return self.name
