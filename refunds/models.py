"""Refunds, their approvals and provider attempts, and the approval tiers (spec/REFUNDS.md)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from backoffice.roles import Role
from refunds.choices import AttemptStatus, Decision, Liability, RefundStatus

MONEY = {"max_digits": 14, "decimal_places": 2}


class ApprovalTier(models.Model):
    """Who may approve up to which cumulative amount, and how many approvals it takes."""

    name = models.CharField(_("name"), max_length=100)
    role = models.CharField(
        _("approver role"),
        max_length=20,
        choices=[(r, r.label) for r in (Role.AGENT, Role.SUPERVISOR, Role.FINANCE)],
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    max_amount = models.DecimalField(
        _("maximum cumulative amount"),
        **MONEY,
        null=True,
        blank=True,
        help_text=_("No limit if blank"),
    )
    approvals_needed = models.PositiveSmallIntegerField(_("distinct approvals needed"), default=1)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("approval tier")
        verbose_name_plural = _("approval tiers")
        ordering = ["currency", F("max_amount").asc(nulls_last=True), "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(approvals_needed__gte=1), name="tier_needs_an_approval"
            ),
            models.CheckConstraint(
                condition=Q(max_amount__isnull=True) | Q(max_amount__gt=0), name="tier_max_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Refund(models.Model):
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="refunds", verbose_name=_("case")
    )
    order = models.ForeignKey(
        "cases.RechargeOrder",
        on_delete=models.PROTECT,
        related_name="refunds",
        verbose_name=_("recharge order"),
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    reason = models.TextField(_("reason"))
    policy_basis = models.CharField(_("policy basis"), max_length=200, blank=True)
    liability = models.CharField(_("liability"), max_length=10, choices=Liability.choices)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=RefundStatus.choices,
        default=RefundStatus.PENDING_APPROVAL,
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="requested_refunds",
        verbose_name=_("requester"),
    )
    payload_hash = models.CharField(_("payload hash"), max_length=64)
    cumulative_amount = models.DecimalField(
        _("cumulative amount decided on"),
        **MONEY,
        help_text=_("Same order, and same customer in 30 days"),
    )
    approvals_needed = models.PositiveSmallIntegerField(_("approvals needed"), default=1)
    approval_round = models.PositiveSmallIntegerField(
        _("approval round"),
        default=1,
        help_text=_(
            "A retry that finds the tier risen starts a new round: earlier approvals lapse"
        ),
    )
    attempt_count = models.PositiveIntegerField(_("attempts"), default=0)
    lease_token = models.UUIDField(_("claim token"), null=True, blank=True)
    lease_expires_at = models.DateTimeField(_("claim expires"), null=True, blank=True)
    provider_reference = models.CharField(_("provider reference"), max_length=100, blank=True)
    status_reason = models.TextField(_("why (failure or review)"), blank=True)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(
                condition=Q(approvals_needed__gte=1), name="refund_needs_an_approval"
            ),
            models.CheckConstraint(
                condition=Q(status__in=RefundStatus.values), name="refund_status_known"
            ),
            # Lets an approval carry the refund's requester with a composite foreign key (PostgreSQL).
            models.UniqueConstraint(fields=["id", "requester"], name="refund_id_requester"),
            # One payment at the provider pays one refund: a reference finance settles a refund
            # with can never mark a second one paid.
            models.UniqueConstraint(
                fields=["provider_reference"],
                condition=Q(status=RefundStatus.SUCCEEDED) & ~Q(provider_reference=""),
                name="refund_paid_provider_ref_once",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "updated_at"], name="refund_status_time"),
            models.Index(fields=["order", "status"], name="refund_order_status"),
            models.Index(fields=["provider_reference"], name="refund_provider_ref"),
            # the approvals inbox: the pending ones, oldest request first (refunds.views)
            models.Index(
                fields=["created_at", "id"],
                condition=Q(status=RefundStatus.PENDING_APPROVAL),
                name="refund_pending_oldest",
            ),
            # the finance console: the refunds that may need finance, oldest request first
            models.Index(
                fields=["created_at", "id"],
                condition=Q(
                    status__in=[
                        RefundStatus.FAILED,
                        RefundStatus.NEEDS_REVIEW,
                        RefundStatus.APPROVED,
                        RefundStatus.PROCESSING,
                        RefundStatus.OUTCOME_UNKNOWN,
                    ]
                ),
                name="refund_attention_oldest",
            ),
        ]

    def __str__(self) -> str:
        return f"RF-{self.pk}"

    @property
    def reference(self) -> str:
        return f"RF-{self.pk:06d}"


class RefundApproval(models.Model):
    """One decision on a refund. The requester is copied in so the database itself can refuse
    a self-approval (a CHECK here, and a composite foreign key back to the refund on PostgreSQL)."""

    refund = models.ForeignKey(
        Refund, on_delete=models.PROTECT, related_name="approvals", verbose_name=_("refund")
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requester"),
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="refund_decisions",
        verbose_name=_("approver"),
    )
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    comment = models.TextField(_("comment"), blank=True)
    approver_limit = models.DecimalField(
        _("approver's limit then"), **MONEY, null=True, blank=True, help_text=_("Blank: no limit")
    )
    payload_hash = models.CharField(_("payload approved"), max_length=64)
    round = models.PositiveSmallIntegerField(_("approval round"), default=1)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("refund decision")
        verbose_name_plural = _("refund decisions")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(approver=F("requester")), name="approver_is_not_requester"
            ),
            models.UniqueConstraint(
                fields=["refund", "approver", "round"], name="one_decision_per_approver_round"
            ),
        ]

    def __str__(self) -> str:
        return f"RF-{self.refund_id:06d} · {self.get_decision_display()} · {self.approver_id}"


class RefundAttempt(models.Model):
    """One call to the provider. Its key is stored before the call and reused for every retry of
    this attempt; a new attempt (a new key) only after a definite failure."""

    refund = models.ForeignKey(
        Refund, on_delete=models.PROTECT, related_name="attempts", verbose_name=_("refund")
    )
    number = models.PositiveIntegerField(_("number"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=64, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=AttemptStatus.choices, default=AttemptStatus.STARTED
    )
    provider_reference = models.CharField(_("provider reference"), max_length=100, blank=True)
    error = models.TextField(_("error"), blank=True)
    calls = models.PositiveIntegerField(_("calls made"), default=0)
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("provider attempt")
        verbose_name_plural = _("provider attempts")
        ordering = ["refund", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["refund", "number"], name="one_attempt_number_per_refund"
            ),
        ]

    def __str__(self) -> str:
        return self.idempotency_key
