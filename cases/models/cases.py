from datetime import UTC, datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.choices import (
    OPEN_STATUSES,
    Category,
    Channel,
    EventType,
    FlagCode,
    Priority,
    RootCause,
    Status,
    SubCause,
)

# `Case.next_due_at` when no SLA clock runs: sorts last, never shown (API and screens show null).
NO_DUE = datetime(9000, 1, 1, tzinfo=UTC)


class ReferenceCounter(models.Model):
    """The last reference number handed out on a day (local date), bumped atomically on intake."""

    day = models.DateField(primary_key=True, verbose_name=_("day"))
    last = models.PositiveIntegerField(default=0, verbose_name=_("last number issued"))

    class Meta:
        verbose_name = _("reference counter")
        verbose_name_plural = _("reference counters")

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class Case(models.Model):
    reference = models.CharField(_("reference"), max_length=24, unique=True)
    customer = models.ForeignKey(
        "cases.Customer", on_delete=models.PROTECT, related_name="cases", verbose_name=_("customer")
    )
    recharge_order = models.ForeignKey(
        "cases.RechargeOrder",
        on_delete=models.PROTECT,
        related_name="cases",
        null=True,
        blank=True,
        verbose_name=_("recharge order"),
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    category = models.CharField(_("category"), max_length=40, choices=Category.choices)
    sub_cause = models.CharField(
        _("sub-cause"), max_length=30, choices=SubCause.choices, blank=True
    )
    suggested_sub_cause = models.CharField(
        _("suggested sub-cause"), max_length=30, choices=SubCause.choices, blank=True
    )
    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices)
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.NEW
    )
    queue = models.ForeignKey(
        "cases.Queue", on_delete=models.PROTECT, related_name="cases", verbose_name=_("queue")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
        null=True,
        blank=True,
        verbose_name=_("assignee"),
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    received_at = models.DateTimeField(_("received"))
    root_cause = models.CharField(
        _("root cause"), max_length=30, choices=RootCause.choices, blank=True
    )
    resolution = models.TextField(
        _("resolution note"), blank=True, help_text=_("Internal: never shown to the customer")
    )
    customer_summary = models.TextField(
        _("summary for the customer"),
        blank=True,
        help_text=_(
            "What the customer reads about the resolution (empty: a neutral standard text)"
        ),
    )
    cycle = models.PositiveIntegerField(_("SLA cycle"), default=1)
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="possible_duplicates",
        verbose_name=_("possible duplicate of"),
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_cases",
        verbose_name=_("merged into"),
    )
    follows = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_ups",
        verbose_name=_("follow-up of"),
        help_text=_("The earlier case the customer wrote about after its reopen window had passed"),
    )
    incident = models.ForeignKey(
        "cases.Incident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("incident"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    next_due_at = models.DateTimeField(
        _("next SLA due time"),
        default=NO_DUE,
        db_default=NO_DUE,
        help_text=_(
            "The earliest due time of the open case's running or breached SLA clocks (maintained)"
        ),
    )
    breached = models.BooleanField(
        _("SLA breached"),
        default=False,
        db_default=False,
        help_text=_("One of the case's SLA clocks breached (maintained; a breach is final)"),
    )

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["queue", "created_at"],
                condition=Q(status__in=sorted(OPEN_STATUSES)),
                name="case_open_by_queue",
            ),
            models.Index(
                fields=["assignee", "created_at"],
                condition=Q(status__in=sorted(OPEN_STATUSES)),
                name="case_open_by_assignee",
            ),
            models.Index(
                fields=["queue", "next_due_at", "id"],
                condition=Q(status__in=sorted(OPEN_STATUSES)),
                name="case_open_queue_due",
            ),
            models.Index(fields=["next_due_at", "id"], name="case_due"),
            # "Next case": the unassigned open cases, breached first (their due time is past),
            # then due soonest, the higher priority first among those due at the same time.
            models.Index(
                fields=["next_due_at", "priority", "id"],
                condition=Q(status__in=sorted(OPEN_STATUSES), assignee__isnull=True),
                name="case_unassigned_due",
            ),
            models.Index(fields=["customer", "created_at"], name="case_customer_time"),
            models.Index(fields=["created_at", "id"], name="case_created"),
            # Newest first among cases done with, or among breached ones: both lie far down the
            # created_at index, behind every open (or unbreached) recent case.
            models.Index(
                fields=["created_at", "id"],
                condition=Q(status__in=[Status.RESOLVED, Status.CLOSED]),
                name="case_done_created",
            ),
            models.Index(
                fields=["created_at", "id"], condition=Q(breached=True), name="case_breached"
            ),
            # the reports: cases received, root causes (docs/benchmarks.md, "Reports")
            models.Index(fields=["received_at"], name="case_received"),
            # the regulator's statistics: the open cases received before a period
            models.Index(
                fields=["received_at"],
                condition=Q(status__in=sorted(OPEN_STATUSES)),
                name="case_open_received",
            ),
            models.Index(
                fields=["resolved_at"],
                include=["category", "root_cause"],
                condition=~Q(root_cause=""),
                name="case_resolved_root_cause",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=Status.RESOLVED) | ~Q(root_cause=""),
                name="resolved_case_has_root_cause",
            ),
            models.CheckConstraint(
                condition=Q(sub_cause="") | Q(category=Category.CREDIT_LIMIT_UNUSABLE),
                name="sub_cause_only_for_credit_limit",
            ),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True) | Q(status=Status.CLOSED),
                name="merged_case_is_closed",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CaseFlag(models.Model):
    """A risk signal on a case; cleared flags stay, with who cleared them and why."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="flags", verbose_name=_("case")
    )
    code = models.CharField(_("code"), max_length=40, choices=FlagCode.choices)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("raised"), auto_now_add=True)
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

    class Meta:
        verbose_name = _("risk flag")
        verbose_name_plural = _("risk flags")
        ordering = ["case", "code"]
        constraints = [
            models.UniqueConstraint(fields=["case", "code"], name="one_flag_per_code"),
        ]
        indexes = [
            models.Index(
                fields=["code", "case"], condition=Q(cleared_at__isnull=True), name="flag_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} · {self.get_code_display()}"


class CaseEvent(models.Model):
    """One entry of a case's timeline, written in the same transaction as the change."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="events", verbose_name=_("case")
    )
    type = models.CharField(_("type"), max_length=30, choices=EventType.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    payload = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at", "id"], name="event_timeline")]

    def __str__(self) -> str:
        return f"{self.case_id} · {self.get_type_display()}"


class CreditAccountSnapshot(models.Model):
    """The credit account as the app saw it when the customer complained."""

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, related_name="credit_account", verbose_name=_("case")
    )
    limit = models.DecimalField(_("credit limit"), max_digits=14, decimal_places=2)
    available = models.DecimalField(_("available"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    frozen = models.BooleanField(_("frozen"), default=False)
    overdue_days = models.PositiveIntegerField(_("overdue days"), default=0)
    recent_login_failures = models.PositiveIntegerField(_("recent login failures"), default=0)
    captured_at = models.DateTimeField(_("captured"), auto_now_add=True)

    class Meta:
        verbose_name = _("credit-account snapshot")
        verbose_name_plural = _("credit-account snapshots")

    def __str__(self) -> str:
        return f"{self.case_id}: {self.available}/{self.limit}"
