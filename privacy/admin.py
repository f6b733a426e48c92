"""The privacy records in the admin, read-only: access and export records (written only by
`privacy.services`), retention runs and anonymisations (written only by `privacy.retention`)."""

from django.contrib import admin

from backoffice.admin_counts import LargeTableMixin
from privacy.models import AccessRecord, Anonymisation, ExportRecord, RetentionRun


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccessRecord)
class AccessRecordAdmin(LargeTableMixin, ReadOnlyAdmin):
    list_display = ("at", "who", "customer", "field", "purpose", "case", "ip")
    list_filter = ("field", "purpose")
    list_select_related = ("who", "customer", "case")
    raw_id_fields = ("who", "customer", "case")


@admin.register(ExportRecord)
class ExportRecordAdmin(LargeTableMixin, ReadOnlyAdmin):
    list_display = ("at", "who", "what", "format", "row_count", "full")
    list_filter = ("what", "format", "full")
    list_select_related = ("who",)
    raw_id_fields = ("who",)


@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnlyAdmin):
    list_display = (
        "started_at",
        "finished_at",
        "closed_before",
        "customers",
        "cases",
        "messages",
        "attachments",
        "notifications",
    )


@admin.register(Anonymisation)
class AnonymisationAdmin(ReadOnlyAdmin):
    list_display = ("customer", "anonymised_at", "run")
    list_select_related = ("customer", "run")
    raw_id_fields = ("customer", "run")
    search_fields = ("customer__external_id",)
