from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.choices import AssignmentMode, Category, Channel, FlagCode, Priority


class Queue(models.Model):
    """A team's work queue. Exactly one queue is the default (no routing rule matched)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    assignment_mode = models.CharField(
        _("assignment"),
        max_length=20,
        choices=AssignmentMode.choices,
        default=AssignmentMode.MANUAL,
    )
    is_default = models.BooleanField(_("default queue"), default=False)
    is_escalation = models.BooleanField(_("escalation queue"), default=False)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="QueueMembership",
        related_name="case_queues",
        blank=True,
        verbose_name=_("members"),
    )

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_queue"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class QueueCount(models.Model):
    """The queue overview's counts of one queue, kept by the `cases.queue_counts` beat task so that
    the page reads a row per queue instead of counting every open case (`sla/counts.py`)."""

    queue = models.OneToOneField(
        Queue,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="counts",
        verbose_name=_("queue"),
    )
    open = models.PositiveIntegerField(_("open"), default=0)
    unassigned = models.PositiveIntegerField(_("unassigned"), default=0)
    at_risk = models.PositiveIntegerField(_("at risk"), default=0)
    breached = models.PositiveIntegerField(_("breached"), default=0)
    by_status = models.JSONField(_("open by status"), default=dict, blank=True)
    counted_at = models.DateTimeField(_("counted at"))

    class Meta:
        verbose_name = _("queue count")
        verbose_name_plural = _("queue counts")

    def __str__(self) -> str:
        return f"{self.queue_id}: {self.open} open at {self.counted_at:%H:%M:%S}"


class QueueMembership(models.Model):
    queue = models.ForeignKey(
        Queue, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("queue")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="queue_memberships",
        verbose_name=_("user"),
    )
    is_lead = models.BooleanField(_("team lead"), default=False)
    active = models.BooleanField(_("takes round-robin work"), default=True)
    last_assigned_at = models.DateTimeField(_("last round-robin assignment"), null=True, blank=True)

    class Meta:
        verbose_name = _("queue membership")
        verbose_name_plural = _("queue memberships")
        constraints = [
            models.UniqueConstraint(fields=["queue", "user"], name="unique_queue_member"),
        ]

    def __str__(self) -> str:
        return f"{self.queue.name}: {self.user}"


class RoutingRule(models.Model):
    """Category, channel, amount band and flag → queue and priority. First enabled match wins."""

    position = models.PositiveIntegerField(_("position"), default=100)
    name = models.CharField(_("name"), max_length=100)
    enabled = models.BooleanField(_("enabled"), default=True)
    category = models.CharField(
        _("category"),
        max_length=40,
        choices=Category.choices,
        blank=True,
        help_text=_("Any if blank"),
    )
    channel = models.CharField(
        _("channel"),
        max_length=20,
        choices=Channel.choices,
        blank=True,
        help_text=_("Any if blank"),
    )
    min_amount = models.DecimalField(
        _("order amount at least"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    max_amount = models.DecimalField(
        _("order amount below"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    flag = models.CharField(_("requires flag"), max_length=40, choices=FlagCode.choices, blank=True)
    queue = models.ForeignKey(
        Queue, on_delete=models.PROTECT, related_name="routing_rules", verbose_name=_("queue")
    )
    priority = models.CharField(
        _("priority"),
        max_length=2,
        choices=Priority.choices,
        blank=True,
        help_text=_("Keeps the category's default priority if blank"),
    )

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_amount__isnull=True)
                | Q(max_amount__isnull=True)
                | Q(min_amount__lt=models.F("max_amount")),
                name="routing_amount_band_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"
