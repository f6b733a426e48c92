from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.choices import IncidentStatus, RootCause


class Incident(models.Model):
    """A mass incident (an outage at the recharge system or a carrier) grouping many cases."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=IncidentStatus.choices, default=IncidentStatus.OPEN
    )
    root_cause = models.CharField(
        _("root cause"), max_length=30, choices=RootCause.choices, blank=True
    )
    started_at = models.DateTimeField(_("started"))
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"
