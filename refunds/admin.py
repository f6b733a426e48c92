"""Admin: approval tiers are configuration; refunds, decisions and attempts are read-only records.
The one way to decide on a refund here is the action below, which goes through the service (so the
requester can never approve their own refund from the admin either)."""

from django.contrib import admin, messages
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backoffice.admin_counts import LargeTableMixin
from backoffice.admin_search import IndexedSearchMixin
from backoffice.errors import DomainError
from cases.models import Case, RechargeOrder
from refunds.models import ApprovalTier, Refund, RefundApproval, RefundAttempt
from refunds.services import refund_approve, tier_delete, tier_save


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApprovalTier)
class ApprovalTierAdmin(admin.ModelAdmin):
    list_display = ("name", "role", "currency", "max_amount", "approvals_needed", "enabled")
    list_editable = ("enabled",)
    list_filter = ("role", "currency", "enabled")

    # Every change to a tier goes through the service, which writes its audit row (so not the
    # generic AuditedAdminMixin, which would record it a second time).
    def save_model(self, request, obj, form, change):
        tier_save(actor=request.user, tier=obj)

    def delete_model(self, request, obj):
        tier_delete(actor=request.user, tier=obj)

    def delete_queryset(self, request, queryset):
        for tier in queryset.order_by("pk"):
            tier_delete(actor=request.user, tier=tier)


class ApprovalInline(admin.TabularInline):
    model = RefundApproval
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "approver",
        "decision",
        "comment",
        "approver_limit",
        "round",
        "created_at",
    )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AttemptInline(admin.TabularInline):
    model = RefundAttempt
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "number",
        "idempotency_key",
        "status",
        "provider_reference",
        "calls",
        "error",
        "created_at",
        "finished_at",
    )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Refund)
class RefundAdmin(LargeTableMixin, IndexedSearchMixin, ReadOnlyAdmin):
    list_display = (
        "id",
        "case",
        "amount",
        "currency",
        "liability",
        "status",
        "requester",
        "created_at",
    )
    list_filter = ("status", "liability")
    search_fields = ("case__reference", "order__order_id", "provider_reference")
    search_help_text = _("Exact case reference, order id or provider reference.")

    def search_condition(self, term: str) -> Q:
        cases = Case.objects.filter(reference=term.upper()).values_list("pk", flat=True)
        orders = RechargeOrder.objects.filter(order_id=term).values_list("pk", flat=True)
        return (
            Q(case_id__in=list(cases)) | Q(order_id__in=list(orders)) | Q(provider_reference=term)
        )

    list_select_related = ("case", "requester")
    raw_id_fields = ("case", "order", "requester")
    inlines = [ApprovalInline, AttemptInline]
    actions = ["approve_selected"]

    def has_change_permission(self, request, obj=None):
        # Only to run the approve action from the list; a refund's own page stays read-only.
        return obj is None and admin.ModelAdmin.has_change_permission(self, request)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Refund._meta.fields]

    @admin.action(
        description=_("Approve the selected refunds (as yourself)"), permissions=["change"]
    )
    def approve_selected(self, request, queryset):
        approved = 0
        for refund in queryset.order_by("pk"):
            try:
                refund_approve(actor=request.user, refund=refund, comment="approved in the admin")
            except DomainError as exc:
                self.message_user(request, f"{refund.reference}: {exc.message}", messages.ERROR)
            else:
                approved += 1
        if approved:
            self.message_user(
                request, _("%(n)d refunds approved.") % {"n": approved}, messages.SUCCESS
            )


@admin.register(RefundApproval)
class RefundApprovalAdmin(LargeTableMixin, ReadOnlyAdmin):
    list_display = ("refund", "approver", "decision", "approver_limit", "created_at")
    list_filter = ("decision",)
    list_select_related = ("refund", "approver")


@admin.register(RefundAttempt)
class RefundAttemptAdmin(LargeTableMixin, IndexedSearchMixin, ReadOnlyAdmin):
    list_display = (
        "idempotency_key",
        "refund",
        "status",
        "provider_reference",
        "calls",
        "created_at",
    )
    list_filter = ("status",)
    search_fields = ("idempotency_key", "provider_reference")

    def search_condition(self, term: str) -> Q:
        return Q(idempotency_key=term) | Q(provider_reference=term)

    list_select_related = ("refund",)
