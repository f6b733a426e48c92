"""Access records (who saw which personal field of which customer, and why) and export records
(who exported what, with which filter, how many rows, masked or full)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PersonalField(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    NAME = "name", _("Name")


class Purpose(models.TextChoices):
    CONTACT = "contact_customer", _("Contact the customer")
    VERIFY = "verify_identity", _("Verify the customer's identity")
    REFUND = "refund_payout", _("Pay out a refund")
    REGULATOR = "regulator_request", _("A regulator's request")
    CORRECTION = "correction", _("Correct the contact data")
    OTHER = "other", _("Other (explain)")


class AccessRecord(models.Model):
    """One reveal of one personal field of one customer: written by `privacy.services.reveal`."""

    who = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("who"),
    )
    customer = models.ForeignKey(
        "cases.Customer",
        on_delete=models.PROTECT,
        related_name="access_records",
        verbose_name=_("customer"),
    )
    field = models.CharField(_("field"), max_length=8, choices=PersonalField.choices)
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    note = models.CharField(_("purpose in words"), max_length=500, blank=True)
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("access record")
        verbose_name_plural = _("access records")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "-at"], name="access_record_customer")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.field} {self.at:%Y-%m-%d %H:%M}"


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


class ExportRecord(models.Model):
    """One export (a download of a list or a report): written by `privacy.services.export_log`."""

    who = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("who"),
    )
    what = models.CharField(_("what"), max_length=64)
    params = models.JSONField(_("filter"), default=dict, blank=True)
    row_count = models.PositiveIntegerField(_("rows"))
    full = models.BooleanField(_("personal data in full"), default=False)
    format = models.CharField(_("format"), max_length=8, choices=ExportFormat.choices)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("export record")
        verbose_name_plural = _("export records")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.what} {self.format} {self.row_count} ({self.at:%Y-%m-%d %H:%M})"
