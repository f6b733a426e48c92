"""Admin for SLA configuration (policies, targets, escalation rules) and read-only clocks."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from backoffice.admin_audit import AuditedAdminMixin
from backoffice.admin_counts import LargeTableMixin
from backoffice.admin_search import CaseReferenceSearchMixin
from sla.models import EscalationRule, SlaClock, SlaPolicy, SlaTarget


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 0
    fields = ("metric", "priority", "amount", "unit", "extensions")


@admin.register(SlaPolicy)
class SlaPolicyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "kind",
        "position",
        "enabled",
        "category",
        "channel",
        "priority",
        "regulator_referral",
        "calendar",
    )
    list_editable = ("position", "enabled")
    list_filter = ("kind", "enabled")
    search_fields = ("name",)
    inlines = [SlaTargetInline]
    list_select_related = ("calendar",)

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.clocks.exists()  # clocks keep their policy for good


@admin.register(EscalationRule)
class EscalationRuleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "threshold", "metric", "action", "queue", "enabled")
    list_editable = ("enabled",)
    list_filter = ("threshold", "action", "enabled")
    list_select_related = ("queue",)


@admin.register(SlaClock)
class SlaClockAdmin(LargeTableMixin, CaseReferenceSearchMixin, admin.ModelAdmin):
    list_display = (
        "case",
        "metric",
        "cycle",
        "state",
        "due_at",
        "breached_at",
        "stopped_at",
        "past_verified",
    )
    list_filter = ("state", "metric", "past_verified")
    search_fields = ("case__reference",)
    raw_id_fields = ("case",)
    list_select_related = ("case",)
    readonly_fields = [f.name for f in SlaClock._meta.fields]

    @admin.display(description=_("case"))
    def case_reference(self, obj):
        return obj.case.reference

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
