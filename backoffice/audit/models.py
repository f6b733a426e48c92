from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(RuntimeError):
    pass


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("The audit trail is append-only: rows cannot be updated.")

    def delete(self):
        raise AppendOnlyError("The audit trail is append-only: rows cannot be deleted.")


class AuditEntry(models.Model):
    """One link of the chain: `hash = HMAC-SHA256(key[key_id], prev_hash + canonical content)`;
    entries of the legacy prefix (`key_id = ""`) hold a plain sha256 (`backoffice.audit.chain`).

    Written only by `backoffice.audit.services.audit_record`, in the transaction of the change it
    records. PostgreSQL triggers refuse UPDATE, DELETE and TRUNCATE; the ORM refuses them too.
    """

    seq = models.PositiveBigIntegerField(_("sequence"), unique=True)
    occurred_at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=60)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=64)
    payload = models.JSONField(_("details"), default=dict)
    prev_hash = models.CharField(_("previous hash"), max_length=64, unique=True)
    hash = models.CharField(_("hash"), max_length=64, unique=True)
    key_id = models.CharField(_("key id"), max_length=16, blank=True, default="")

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["seq"]
        # object_id first: the admin searches by id alone, an object's history by both.
        indexes = [models.Index(fields=["object_id", "object_type"], name="audit_object_id")]

    def __str__(self) -> str:
        return f"#{self.seq} · {self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("The audit trail is append-only: rows cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The audit trail is append-only: rows cannot be deleted.")
