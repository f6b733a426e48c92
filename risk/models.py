"""Risk rules as data (one row per rule, edited in the admin) and the watch list of client IPs.

The tables kept the names they had when these models lived in `cases` (`db_table`): the move
was a change of Django's state only, no data was copied.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from risk.choices import RuleAction, RuleCode, Severity, WatchStatus


class RiskRule(models.Model):
    """One risk rule; which parameters matter depends on the rule (see `description`).

    - `ip_failure_burst`: `threshold` failed top-ups from one IP within `window_minutes`.
    - `amount_anomaly`: amount above `factor` × the median of the customer's last (up to 20) earlier
      orders, given at least `min_history` of them; or above `ceiling` whatever the history.
    - `amount_edited`: the amount was edited more than `threshold` times before paying.
    - `repeat_complainant`: `threshold` cases (this one included) within `window_minutes`.
    - `carrier_mismatch`, `regulator_referral`: no parameters.
    """

    code = models.CharField(_("rule"), max_length=40, choices=RuleCode.choices, unique=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    threshold = models.PositiveIntegerField(_("threshold"), null=True, blank=True)
    window_minutes = models.PositiveIntegerField(_("window (minutes)"), null=True, blank=True)
    factor = models.DecimalField(
        _("factor (k × median)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    min_history = models.PositiveIntegerField(_("earlier orders needed"), null=True, blank=True)
    ceiling = models.DecimalField(
        _("amount ceiling"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    severity = models.CharField(
        _("severity"), max_length=8, choices=Severity.choices, default=Severity.MEDIUM
    )
    action = models.CharField(
        _("action"), max_length=20, choices=RuleAction.choices, default=RuleAction.FLAG
    )
    queue = models.ForeignKey(
        "cases.Queue",
        on_delete=models.PROTECT,
        verbose_name=_("queue"),
        related_name="risk_rules",
        null=True,
        blank=True,
        help_text=_("For “send to a queue” only"),
    )
    description = models.TextField(_("description"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        db_table = "cases_riskrule"
        verbose_name = _("risk rule")
        verbose_name_plural = _("risk rules")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(action=RuleAction.ROUTE_TO_QUEUE) | Q(queue__isnull=False),
                name="risk_route_needs_queue",
            ),
            models.CheckConstraint(
                condition=~Q(code__in=[RuleCode.IP_FAILURE_BURST, RuleCode.REPEAT_COMPLAINANT])
                | Q(threshold__gte=1, window_minutes__gte=1),
                name="risk_window_rule_parameters",
            ),
            models.CheckConstraint(
                condition=~Q(code=RuleCode.AMOUNT_EDITED) | Q(threshold__isnull=False),
                name="risk_edits_rule_threshold",
            ),
            models.CheckConstraint(
                condition=~Q(code=RuleCode.AMOUNT_ANOMALY)
                | Q(factor__gt=0, min_history__gte=1)
                | Q(ceiling__isnull=False),
                name="risk_amount_rule_parameters",
            ),
        ]

    def __str__(self) -> str:
        return self.get_code_display()


class FlaggedIp(models.Model):
    """A client IP on the watch list after a burst of failed top-ups.

    Its cases are found by query (open cases whose recharge order came from this IP), never stored.
    `burst_from`/`burst_to` and `failures` describe the latest burst window.
    """

    ip = models.GenericIPAddressField(_("IP"), unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=WatchStatus.choices, default=WatchStatus.ACTIVE
    )
    first_seen = models.DateTimeField(_("first burst seen"))
    last_seen = models.DateTimeField(_("last failure seen"))
    failures = models.PositiveIntegerField(_("failures in the last burst window"))
    burst_from = models.DateTimeField(_("last burst from"))
    burst_to = models.DateTimeField(_("last burst to"))
    cleared_at = models.DateTimeField(_("cleared"), null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cleared by"),
    )
    clear_reason = models.CharField(_("reason for clearing"), max_length=500, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        db_table = "cases_flaggedip"
        verbose_name = _("flagged IP")
        verbose_name_plural = _("flagged IPs (watch list)")
        ordering = ["-last_seen", "-id"]
        indexes = [models.Index(fields=["status", "last_seen", "id"], name="flaggedip_status_seen")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=WatchStatus.ACTIVE)
                | (Q(cleared_at__isnull=False) & ~Q(clear_reason="")),
                name="flaggedip_cleared_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ip} ({self.get_status_display()})"
