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


# Retention and the customer's rights


class RetentionRun(models.Model):
    """One run of the retention task (`privacy.retention`): when, the cut-off it applied and how
    many customers and rows it anonymised."""

    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    closed_before = models.DateTimeField(
        _("closed before"), help_text=_("Customers whose every case closed before this time")
    )
    customers = models.PositiveIntegerField(_("customers anonymised"), default=0)
    cases = models.PositiveIntegerField(_("cases"), default=0)
    messages = models.PositiveIntegerField(_("messages"), default=0)
    attachments = models.PositiveIntegerField(_("attachments"), default=0)
    notifications = models.PositiveIntegerField(_("notifications"), default=0)

    class Meta:
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} · {self.customers}"


class Anonymisation(models.Model):
    """The marker that a customer's personal data was removed at the end of its retention period
    (once per customer: a second run skips them)."""

    customer = models.OneToOneField(
        "cases.Customer",
        on_delete=models.PROTECT,
        related_name="anonymisation",
        verbose_name=_("customer"),
    )
    run = models.ForeignKey(
        RetentionRun,
        on_delete=models.PROTECT,
        related_name="anonymisations",
        verbose_name=_("retention run"),
    )
    anonymised_at = models.DateTimeField(_("anonymised"))

    class Meta:
        verbose_name = _("anonymisation")
        verbose_name_plural = _("anonymisations")
        ordering = ["-anonymised_at", "-id"]

    def __str__(self) -> str:
        return f"{self.customer_id} · {self.anonymised_at:%Y-%m-%d}"
