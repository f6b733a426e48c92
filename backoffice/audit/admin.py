"""Admin of the audit trail: browsable, never written (the chain is append-only).

Imported from `backoffice/admin.py`; registration is guarded so that a second import is harmless.
"""

from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backoffice.admin_counts import LargeTableMixin
from backoffice.admin_search import IndexedSearchMixin
from backoffice.audit.models import AuditEntry

# The filters offer the values seen in the latest entries: a DISTINCT over the whole trail would
# scan millions of rows on every page.
RECENT_ENTRIES = 5000


class RecentValuesFilter(admin.SimpleListFilter):
    field_name = ""

    def lookups(self, request, model_admin):
        last = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
        if last is None:
            return []
        values = set(
            AuditEntry.objects.filter(seq__gt=last - RECENT_ENTRIES)
            .values_list(self.field_name, flat=True)
            .distinct()
        )
        if self.value():
            values.add(self.value())
        return [(value, value) for value in sorted(values)]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.field_name: self.value()})
        return queryset


class ActionFilter(RecentValuesFilter):
    title = _("action")
    parameter_name = field_name = "action"


class ObjectTypeFilter(RecentValuesFilter):
    title = _("object type")
    parameter_name = field_name = "object_type"


class AuditEntryAdmin(LargeTableMixin, IndexedSearchMixin, admin.ModelAdmin):
    list_display = (
        "seq",
        "occurred_at",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "short_hash",
    )
    list_filter = (ActionFilter, ObjectTypeFilter)
    search_fields = ("object_id",)
    search_help_text = _("Exact object id, e.g. a case reference.")

    def search_condition(self, term: str) -> Q:
        return Q(object_id__in={term, term.upper()})

    ordering = ("-seq",)
    sortable_by = ("seq",)
    raw_id_fields = ("actor",)

    @admin.display(description=_("hash"))
    def short_hash(self, obj: AuditEntry) -> str:
        return obj.hash[:12]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


if not admin.site.is_registered(AuditEntry):
    admin.site.register(AuditEntry, AuditEntryAdmin)
