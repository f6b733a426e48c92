"""Macros are configuration: operations admins write them here, every change audited."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from backoffice.admin_audit import AuditedAdminMixin
from macros.models import Macro
from macros.rendering import VARIABLES


@admin.register(Macro)
class MacroAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "queue",
        "category",
        "set_status",
        "set_priority",
        "active",
        "updated_at",
    )
    list_filter = ("active", "queue", "category", "set_status")
    list_select_related = ("queue",)
    search_fields = ("name",)
    fieldsets = (
        (None, {"fields": ("name", "active", "text_zh", "text_en")}),
        (_("Where it is offered"), {"fields": ("queue", "category")}),
        (
            _("Changes made with the reply"),
            {"fields": ("set_status", "set_root_cause", "set_priority")},
        ),
    )

    def get_form(self, request, obj=None, change=False, **kwargs):
        """The texts' help lists the only variables a macro may use."""
        form = super().get_form(request, obj, change, **kwargs)
        names = "; ".join(f"{{{name}}}: {label}" for name, label in VARIABLES.items())
        help_text = _(
            "The customer reads this. Variables: %(names)s. Nothing internal can be shown."
        ) % {"names": names}
        for field in ("text_zh", "text_en"):
            if field in form.base_fields:
                form.base_fields[field].help_text = help_text
        return form
