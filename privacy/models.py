from django.db import models
from django.utils.translation import gettext_lazy as _

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
