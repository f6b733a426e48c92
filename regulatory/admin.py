"""The code tables and their mapping, edited by operations.

A code set that classified a case is history: its codes are read-only here, it cannot be deleted,
and the action "new version" copies it (an inactive draft to edit), "activate" makes a version the
one new cases are coded from."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from backoffice.admin_audit import AuditedAdminMixin
from backoffice.errors import DomainError
from regulatory import services
from regulatory.models import CaseCoding, Code, CodeMapping, CodeSet

CODE_FIELDS = ("axis", "code", "parent", "name", "level")


class CodeInline(admin.TabularInline):
    model = Code
    extra = 0
    fields = CODE_FIELDS
    raw_id_fields = ("parent",)

    def _used(self, obj) -> bool:
        return obj is not None and services.code_set_in_use(obj)

    def get_readonly_fields(self, request, obj=None):
        return CODE_FIELDS if self._used(obj) else ()

    def has_add_permission(self, request, obj=None):
        return not self._used(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._used(obj) and super().has_delete_permission(request, obj)


@admin.register(CodeSet)
class CodeSetAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "version", "effective_from", "active", "created_at")
    inlines = [CodeInline]
    actions = ["new_version", "activate"]

    def get_readonly_fields(self, request, obj=None):
        # `active` changes through the action only (one active set, audited).
        if obj is not None and services.code_set_in_use(obj):
            return ("name", "version", "effective_from", "active")
        return ("active",)

    def has_delete_permission(self, request, obj=None):
        return obj is None or not services.code_set_in_use(obj)

    @admin.action(description=_("New version (a copy to edit)"))
    def new_version(self, request, queryset):
        for code_set in queryset:
            copy = services.codeset_new_version(actor=request.user, code_set=code_set)
            self.message_user(request, _("Created %(set)s.") % {"set": copy})

    @admin.action(description=_("Activate (new cases are coded from it)"))
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Choose exactly one code set."), messages.ERROR)
            return
        try:
            code_set = services.codeset_activate(actor=request.user, code_set=queryset.get())
        except DomainError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, _("%(set)s is active.") % {"set": code_set})


@admin.register(Code)
class CodeAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "axis", "level", "code_set")
    list_filter = ("code_set", "axis", "level")
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)
    list_select_related = ("code_set",)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and services.code_set_in_use(obj.code_set):
            return ("code_set", *CODE_FIELDS)
        return ()

    def has_delete_permission(self, request, obj=None):
        return obj is None or not services.code_set_in_use(obj.code_set)


@admin.register(CodeMapping)
class CodeMappingAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("source", "internal_value", "axis", "code")
    list_editable = ("code",)
    list_filter = ("source", "axis")
    search_fields = ("value", "code")

    @admin.display(description=_("internal value"), ordering="value")
    def internal_value(self, obj: CodeMapping) -> str:
        return obj.value_label


@admin.register(CaseCoding)
class CaseCodingAdmin(admin.ModelAdmin):
    list_display = ("case", "a", "b", "c", "source", "province", "city")
    list_filter = ("source",)
    search_fields = ("case__reference",)
    list_select_related = ("case", "a", "b", "c")
    readonly_fields = [f.name for f in CaseCoding._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
