from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from backoffice.admin_audit import AuditedAdminMixin
from backoffice.admin_counts import LargeTableMixin
from backoffice.admin_search import CaseReferenceSearchMixin
from notifications.customer import CustomerContext
from notifications.models import CannedSummary, Notification, NotificationTemplate
from privacy.masking import FIELDS, mask_value


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("purpose", "language", "channel", "subject", "has_error", "updated_at")
    list_filter = ("purpose", "language", "channel")
    readonly_fields = ("render_error", "updated_at")
    fields = ("purpose", "language", "channel", "subject", "body", "render_error", "updated_at")

    @admin.display(boolean=True, description=_("rendering error"))
    def has_error(self, obj) -> bool:
        return bool(obj.render_error)

    def get_form(self, request, obj=None, change=False, **kwargs):
        """The body's help lists the only values a customer template is given."""
        form = super().get_form(request, obj, change, **kwargs)
        names = ", ".join(f"{{{{ {name} }}}}" for name in CustomerContext.__dataclass_fields__)
        form.base_fields["body"].help_text = _(
            "The customer reads this. Values available: %(names)s. Nothing internal (notes, root "
            "causes, risk flags, staff names) can be shown."
        ) % {"names": names}
        return form

    def save_model(self, request, obj, form, change):
        obj.render_error = ""  # an edited template gets a fresh chance
        super().save_model(request, obj, form, change)


@admin.register(CannedSummary)
class CannedSummaryAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("title", "category", "language", "active")
    list_filter = ("category", "language", "active")
    fields = ("title", "category", "language", "text", "active")


@admin.register(Notification)
class NotificationAdmin(LargeTableMixin, CaseReferenceSearchMixin, admin.ModelAdmin):
    list_display = (
        "case",
        "recipient_shown",
        "purpose",
        "channel",
        "language",
        "status",
        "delivery_status",
        "attempts",
        "not_before",
        "sent_at",
    )
    list_filter = ("status", "delivery_status", "purpose", "channel")
    search_fields = ("case__reference",)
    raw_id_fields = ("case",)
    list_select_related = ("case",)

    def get_fields(self, request, obj=None):
        # The recipient masked, like the list (PIPL): a customer's address is revealed only
        # through the reveal action, which records who looked and why.
        shown = [
            "body_shown" if f.name == "body" else f.name
            for f in Notification._meta.fields
            if f.name != "recipient"
        ]
        return ["recipient_shown", *shown]

    @admin.display(description=_("text"))
    def body_shown(self, obj) -> str:
        """The text sent, with the customer's name, phone and e-mail in it masked."""
        text = obj.body
        customer = obj.case.customer if obj.case_id else None
        for field in FIELDS if customer is not None else ():
            value = getattr(customer, field)
            if value:
                text = text.replace(value, mask_value(field, value))
        return text

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description=_("to"))
    def recipient_shown(self, obj) -> str:
        """Staff addresses in full; a customer's masked like everywhere else."""
        if obj.case_id is None:
            return obj.recipient
        return mask_value("email" if "@" in obj.recipient else "phone", obj.recipient)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
