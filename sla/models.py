"""SLA policies, targets, clocks and escalation rules (spec/SLA.md).

The tables kept the names they had when these models lived in `cases` (`db_table`): the move
was a change of Django's state only, no data was copied.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.choices import Category, Channel, Priority
from sla.choices import (
    ClockState,
    CustomerBasis,
    EscalationAction,
    Metric,
    PolicyKind,
    Threshold,
    Unit,
)


class SlaPolicy(models.Model):
    """Chosen by conditions: the first enabled service policy by position; every regulatory one."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=PolicyKind.choices)
    position = models.PositiveIntegerField(_("position"), default=100)
    enabled = models.BooleanField(_("enabled"), default=True)
    calendar = models.ForeignKey(
        "backoffice.BusinessCalendar",
        on_delete=models.PROTECT,
        verbose_name=_("calendar"),
        null=True,
        blank=True,
        help_text=_("The default calendar if blank"),
    )
    category = models.CharField(_("category"), max_length=40, choices=Category.choices, blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, blank=True)
    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices, blank=True)
    regulator_referral = models.BooleanField(
        _("regulator referrals only"), null=True, blank=True, help_text=_("Any case if unset")
    )
    customer_basis = models.CharField(
        _("basis told to customers"),
        max_length=30,
        choices=CustomerBasis.choices,
        blank=True,
        help_text=_(
            "The rule the customer's status page names for these deadlines; if blank, the "
            "regulation for a regulatory policy and the service commitment otherwise"
        ),
    )

    class Meta:
        db_table = "cases_slapolicy"
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["kind", "position", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def basis(self) -> str:
        """The `CustomerBasis` the customer is told (see `customer_basis`)."""
        if self.customer_basis:
            return self.customer_basis
        if self.kind == PolicyKind.REGULATORY:
            return CustomerBasis.REGULATORY_COMPLAINTS
        return CustomerBasis.SERVICE_COMMITMENT


class SlaTarget(models.Model):
    """How long a metric may take under a policy, for one priority (or every priority if blank)."""

    policy = models.ForeignKey(
        SlaPolicy, on_delete=models.CASCADE, related_name="targets", verbose_name=_("policy")
    )
    priority = models.CharField(
        _("priority"),
        max_length=2,
        choices=Priority.choices,
        blank=True,
        help_text=_("All if blank"),
    )
    metric = models.CharField(_("metric"), max_length=24, choices=Metric.choices)
    amount = models.PositiveIntegerField(_("amount"))
    unit = models.CharField(_("unit"), max_length=20, choices=Unit.choices)
    extensions = models.JSONField(
        _("extension steps"),
        default=list,
        blank=True,
        help_text=_("Amounts in the same unit a supervisor may extend to, in order, e.g. [30, 60]"),
    )

    class Meta:
        db_table = "cases_slatarget"
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        ordering = ["policy", "metric", "priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "priority", "metric"],
                name="one_target_per_policy_priority_metric",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="target_amount_positive"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.policy}: {self.get_metric_display()} {self.priority or '*'} = "
            f"{self.amount} {self.get_unit_display()}"
        )

    def clean(self):
        steps = self.extensions or []
        if not isinstance(steps, list) or not all(isinstance(s, int) and s > 0 for s in steps):
            raise ValidationError({"extensions": _("A list of positive whole numbers.")})
        if steps and (steps != sorted(set(steps)) or steps[0] <= self.amount):
            raise ValidationError(
                {"extensions": _("Each step must be longer than the one before.")}
            )


class SlaClock(models.Model):
    """One clock per case × metric × cycle (× refund for refund approval).

    `due_at` already includes the business time spent paused; `original_due_at` is the due time
    as first computed. `next_threshold_at` is when the sweep must next look at this clock.
    """

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="sla_clocks", verbose_name=_("case")
    )
    metric = models.CharField(_("metric"), max_length=24, choices=Metric.choices)
    cycle = models.PositiveIntegerField(_("cycle"), default=1)
    subject = models.CharField(
        _("subject"), max_length=40, blank=True, default="", help_text=_("e.g. refund:42")
    )
    policy = models.ForeignKey(
        SlaPolicy, on_delete=models.PROTECT, related_name="clocks", verbose_name=_("policy")
    )
    calendar = models.ForeignKey(
        "backoffice.BusinessCalendar", on_delete=models.PROTECT, verbose_name=_("calendar")
    )
    amount = models.PositiveIntegerField(_("target amount"))
    unit = models.CharField(_("unit"), max_length=20, choices=Unit.choices)
    extension_level = models.PositiveSmallIntegerField(_("extensions taken"), default=0)
    started_at = models.DateTimeField(_("started"))
    due_at = models.DateTimeField(_("due"))
    original_due_at = models.DateTimeField(_("originally due"))
    paused_at = models.DateTimeField(_("paused since"), null=True, blank=True)
    paused_seconds = models.FloatField(_("business seconds paused"), default=0)
    state = models.CharField(_("state"), max_length=10, choices=ClockState.choices)
    breached_at = models.DateTimeField(_("breached"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    next_threshold = models.CharField(
        _("next threshold"), max_length=10, choices=Threshold.choices, blank=True
    )
    fired = models.CharField(
        _("thresholds passed"), max_length=60, blank=True, help_text=_("Comma-separated")
    )
    next_threshold_at = models.DateTimeField(_("next threshold at"), null=True, blank=True)
    past_verified = models.BooleanField(
        _("due past the verified calendar"),
        default=False,
        help_text=_(
            "The due date lies past the calendar's verified range: days counted as plain weekdays."
        ),
    )

    class Meta:
        db_table = "cases_slaclock"
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        ordering = ["case", "cycle", "metric"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "metric", "cycle", "subject"],
                name="one_clock_per_case_metric_cycle",
            ),
            models.CheckConstraint(
                condition=~Q(state=ClockState.PAUSED) | Q(paused_at__isnull=False),
                name="paused_clock_has_paused_at",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_threshold_at"],
                condition=Q(next_threshold_at__isnull=False),
                name="clock_next_threshold",
            ),
            models.Index(
                fields=["due_at"],
                condition=Q(state__in=[ClockState.ACTIVE, ClockState.PAUSED]),
                name="clock_running_due",
            ),
            # the reports' regulatory deadlines and breach list (docs/benchmarks.md, "Reports")
            models.Index(
                fields=["due_at"],
                condition=Q(
                    metric=Metric.REGULATORY_DECISION,
                    state__in=[ClockState.ACTIVE, ClockState.PAUSED],
                ),
                name="clock_regulatory_due",
            ),
            models.Index(
                fields=["breached_at"],
                condition=Q(breached_at__isnull=False),
                name="clock_breached",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} · {self.get_metric_display()} #{self.cycle} · {self.get_state_display()}"


class SlaClockStop(models.Model):
    """The report's fact row of one stopped clock (met or breached), written by the SLA service in
    the transaction that stops the clock (`sla.facts`): when it stopped, how, its business
    minutes, and the case's group fields *at that moment* (a later move to another queue does not
    move the clock's figures). Reports read these rows without joining cases or calendars."""

    clock = models.OneToOneField(
        SlaClock,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="stop",
        verbose_name=_("clock"),
    )
    stopped_at = models.DateTimeField(_("stopped"))
    state = models.CharField(_("state"), max_length=10, choices=ClockState.choices)
    metric = models.CharField(_("metric"), max_length=24, choices=Metric.choices)
    business_minutes = models.FloatField(
        _("business minutes"),
        help_text=_("Business time from start to stop less the time paused, never below zero"),
    )
    # No index of their own: reports reach these through the `stopped_at` range.
    queue = models.ForeignKey(
        "cases.Queue",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("queue"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        verbose_name=_("assignee"),
        related_name="+",
        null=True,
        blank=True,
        db_index=False,
    )
    category = models.CharField(_("category"), max_length=40, choices=Category.choices)
    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)

    class Meta:
        db_table = "cases_slaclockstop"
        verbose_name = _("stopped SLA clock")
        verbose_name_plural = _("stopped SLA clocks")
        ordering = ["stopped_at", "clock"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=[ClockState.MET, ClockState.BREACHED]),
                name="clock_stop_met_or_breached",
            ),
            models.CheckConstraint(
                condition=Q(business_minutes__gte=0), name="clock_stop_minutes_not_negative"
            ),
        ]
        indexes = [
            models.Index(
                fields=["stopped_at"],
                include=[
                    "state",
                    "metric",
                    "business_minutes",
                    "queue",
                    "assignee",
                    "category",
                    "priority",
                    "channel",
                ],
                name="clock_stop_stopped",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.clock_id} · {self.get_metric_display()} · {self.get_state_display()} · "
            f"{self.stopped_at:%Y-%m-%d %H:%M}"
        )


class EscalationRule(models.Model):
    """What happens when a clock crosses a threshold (admin-editable)."""

    name = models.CharField(_("name"), max_length=100)
    enabled = models.BooleanField(_("enabled"), default=True)
    threshold = models.CharField(_("threshold"), max_length=10, choices=Threshold.choices)
    metric = models.CharField(
        _("metric"), max_length=24, choices=Metric.choices, blank=True, help_text=_("Any if blank")
    )
    action = models.CharField(_("action"), max_length=30, choices=EscalationAction.choices)
    queue = models.ForeignKey(
        "cases.Queue",
        on_delete=models.PROTECT,
        verbose_name=_("queue"),
        null=True,
        blank=True,
        help_text=_("For “move to a queue”: the escalation queue if blank"),
    )

    class Meta:
        db_table = "cases_escalationrule"
        verbose_name = _("escalation rule")
        verbose_name_plural = _("escalation rules")
        ordering = ["threshold", "id"]

    def __str__(self) -> str:
        return self.name
