"""Admin of the risk rules (edited here: one row per rule, never added or deleted) and the read-only
IP watch list (clearing an IP goes through `risk_ip_clear`, from the API)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from backoffice.admin_counts import LargeTableMixin
from backoffice.cache import invalidate
from risk.engine import CACHE_KEY
from risk.models import FlaggedIp, RiskRule
from risk.selectors import flagged_ip_list


@admin.register(RiskRule)
class RiskRuleAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "enabled",
        "threshold",
        "window_minutes",
        "factor",
        "min_history",
        "ceiling",
        "severity",
        "action",
        "queue",
        "updated_at",
    )
    list_editable = ("enabled",)
    list_filter = ("enabled", "severity", "action")
    list_select_related = ("queue",)
    ordering = ("code",)
    fieldsets = (
        (None, {"fields": ("code", "enabled", "description")}),
        (
            _("Parameters"),
            {"fields": ("threshold", "window_minutes", "factor", "min_history", "ceiling")},
        ),
        (_("On a hit"), {"fields": ("severity", "action", "queue")}),
    )

    def get_readonly_fields(self, request, obj=None):
        return ("code", "updated_at") if obj is not None else ("updated_at",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        invalidate(CACHE_KEY)  # this process at once; the others within CONFIG_CACHE_SECONDS


@admin.register(FlaggedIp)
class FlaggedIpAdmin(LargeTableMixin, admin.ModelAdmin):
    list_display = (
        "ip",
        "status",
        "failures",
        "burst_from",
        "burst_to",
        "first_seen",
        "last_seen",
        "open_cases",
        "cleared_by",
        "cleared_at",
    )
    list_filter = ("status",)
    search_fields = ("=ip",)
    ordering = ("-last_seen", "-id")
    sortable_by = ()

    def get_queryset(self, request):
        return flagged_ip_list()

    @admin.display(description=_("linked open cases"))
    def open_cases(self, obj: FlaggedIp) -> int:
        return obj.linked_open_cases

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
