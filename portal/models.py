"""The satisfaction survey: one per case and SLA cycle, offered when the cycle is resolved and
answered (1–5 and a comment) through the customer's status link.

Queue, agent, category and root cause are copied from the case at resolution, so the reports count
a survey where the work was done even if the case moves later. A low score opens a follow-up for
the queue's supervisors (`follow_up_*`)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.choices import Category, RootCause


class FollowUp(models.TextChoices):
    NONE = "", _("None")
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class Satisfaction(models.Model):
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.CASCADE,
        related_name="satisfaction_surveys",
        verbose_name=_("case"),
    )
    cycle = models.PositiveIntegerField(_("SLA cycle"))
    queue = models.ForeignKey(
        "cases.Queue", on_delete=models.PROTECT, related_name="+", verbose_name=_("queue")
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    category = models.CharField(_("category"), max_length=40, choices=Category.choices)
    root_cause = models.CharField(
        _("root cause"), max_length=30, choices=RootCause.choices, blank=True
    )
    offered_at = models.DateTimeField(_("offered"))
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    follow_up = models.CharField(
        _("follow-up"), max_length=8, choices=FollowUp.choices, default=FollowUp.NONE, blank=True
    )
    follow_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("followed up by"),
    )
    follow_up_at = models.DateTimeField(_("followed up"), null=True, blank=True)
    follow_up_note = models.TextField(_("follow-up note"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        constraints = [
            models.UniqueConstraint(fields=["case", "cycle"], name="one_survey_per_case_cycle"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5),
                name="survey_score_1_to_5",
            ),
        ]
        indexes = [
            models.Index(fields=["offered_at"], name="survey_offered"),
            models.Index(
                fields=["queue"], condition=Q(follow_up="open"), name="survey_follow_up_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.cycle}: {self.score or '-'}"


class CustomerLink(models.Model):
    """A short link to one case's status page, for the case's customer.

    Only a keyed hash of the token is stored (HMAC-SHA256 with SECRET_KEY): whoever reads the table
    cannot open the page. The link expires, can be revoked, and locks itself for a while after too
    many wrong answers to the second factor (the last four digits of the customer's phone)."""

    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.CASCADE,
        related_name="customer_links",
        verbose_name=_("case"),
    )
    customer = models.ForeignKey(
        "cases.Customer",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("customer"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    revoke_reason = models.CharField(_("reason for revoking"), max_length=500, blank=True)
    failed_checks = models.PositiveSmallIntegerField(_("failed checks"), default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer link")
        verbose_name_plural = _("customer links")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["case", "-created_at"], name="customer_link_case")]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.pk}"
