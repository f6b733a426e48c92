from django.contrib import admin

from privacy.models import Anonymisation, RetentionRun

# Retention and the customer's rights: read-only, written only by privacy.retention.


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
