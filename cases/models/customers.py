from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.choices import ContactChannel, Language
from cases.phones import mask_phone


class Customer(models.Model):
    """A customer of the credit product, known by the id the upstream systems give them."""

    external_id = models.CharField(_("external id"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    phone = models.CharField(_("phone (E.164)"), max_length=20, blank=True, db_index=True)
    email = models.EmailField(_("e-mail"), blank=True)
    language = models.CharField(
        _("preferred language"), max_length=8, choices=Language.choices, default=Language.ZH_HANS
    )
    preferred_channel = models.CharField(
        _("preferred channel"),
        max_length=8,
        choices=ContactChannel.choices,
        default=ContactChannel.SMS,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["external_id"]
        indexes = [models.Index(fields=["email"], name="customer_email")]  # the admin's search

    def __str__(self) -> str:
        # The id only: the name is personal data, masked wherever a customer is shown
        # (privacy.masking); a string of the customer lands in admin lists, logs and widgets.
        return self.external_id

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class ContactChangeStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for an agent to confirm")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")


class ContactChange(models.Model):
    """A change of a customer's name, phone or e-mail sent by an intake, held until an agent of
    one of the customer's cases confirms it: until then every message keeps going to the contact
    on file. `changes` is `{field: {"from": old, "to": new}}` with the full values (the timeline
    and the audit show the phone masked and point here)."""

    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="contact_changes",
        verbose_name=_("customer"),
    )
    changes = models.JSONField(_("changes"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ContactChangeStatus.choices,
        default=ContactChangeStatus.PENDING,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("contact change")
        verbose_name_plural = _("contact changes")
        ordering = ["requested_at", "id"]
        indexes = [
            models.Index(
                fields=["customer"],
                condition=models.Q(status="pending"),
                name="contact_change_pending",
            )
        ]

    def __str__(self) -> str:
        fields = ", ".join(str(Customer._meta.get_field(f).verbose_name) for f in self.changes)
        return f"{self.customer_id} {fields} ({self.get_status_display()})"
