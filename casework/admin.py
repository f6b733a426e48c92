"""Admin of the cases app: configuration (queues, routing, customers, incidents) and read-only views.

State changes of cases, incidents and everything on a case's timeline go through `casework.services`
from the staff screens and the API; here those are read-only. Every changelist selects what it shows
in a fixed number of queries, FKs to big tables never render as dropdowns, and phone numbers are
masked in lists (the full number only on a change page).
"""

import contextlib
import io
import ipaddress
import zipfile

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backoffice.admin_audit import AuditedAdminMixin
from backoffice.admin_counts import LargeTableMixin
from backoffice.admin_search import CaseReferenceSearchMixin, IndexedSearchMixin
from backoffice.client_ip import client_ip
from cases.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseFlag,
    CreditAccountSnapshot,
    Customer,
    Incident,
    Message,
    Queue,
    QueueMembership,
    RechargeOrder,
    ReferenceCounter,
    RoutingRule,
)
from cases.phones import PORTABILITY_CAVEAT, InvalidPhone, normalize_phone, phone_or_none
from casework.selectors import search_condition
from casework.services import case_update_text
from casework.services.contacts import CONTACT_FIELDS, customer_contact_edit
from privacy import policy as privacy_policy
from privacy.bundle import customer_bundle, safe_name
from privacy.masking import masked
from privacy.models import Purpose
from privacy.selectors import customer_access_records
from privacy.services import reveal
from risk.texts import detail_text

# --- Shared pieces -------------------------------------------------------------------------------


class ReadOnlyMixin:
    """Browsable, never written through the admin (no add, change or delete)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
    max_num = 0
    show_change_link = True

    def get_readonly_fields(self, request, obj=None):
        return self.fields


class NoBulkDeleteMixin:
    """No "delete selected": its confirmation page would list every protected case."""

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


# --- Configuration: queues, routing, customers, incidents ----------------------------------------


class QueueMembershipInline(admin.TabularInline):
    model = QueueMembership
    fields = ("user", "is_lead", "active", "last_assigned_at")
    readonly_fields = ("last_assigned_at",)
    autocomplete_fields = ("user",)
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


@admin.register(Queue)
class QueueAdmin(AuditedAdminMixin, NoBulkDeleteMixin, admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "assignment_mode",
        "is_default",
        "is_escalation",
        "member_count",
    )
    list_filter = ("assignment_mode", "is_escalation")
    search_fields = ("code", "name")
    inlines = [QueueMembershipInline]

    def get_queryset(self, request):
        members = (
            QueueMembership.objects.filter(queue=OuterRef("pk"))
            .order_by()
            .values("queue")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(member_count=Coalesce(Subquery(members, output_field=IntegerField()), 0))
        )

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, obj: Queue) -> int:
        return obj.member_count

    def has_delete_permission(self, request, obj=None):
        if obj is not None and (obj.cases.exists() or obj.routing_rules.exists()):
            return False
        return super().has_delete_permission(request, obj)


@admin.register(QueueMembership)
class QueueMembershipAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("queue", "user", "is_lead", "active", "last_assigned_at")
    list_filter = ("queue", "is_lead", "active")
    list_select_related = ("queue", "user")
    search_fields = ("user__username", "queue__code")
    autocomplete_fields = ("user",)
    readonly_fields = ("last_assigned_at",)


@admin.register(RoutingRule)
class RoutingRuleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "position",
        "name",
        "enabled",
        "category",
        "channel",
        "min_amount",
        "max_amount",
        "flag",
        "queue",
        "priority",
    )
    list_display_links = ("name",)
    list_editable = ("position", "enabled")
    list_filter = ("enabled", "queue", "category", "channel")
    list_select_related = ("queue",)
    search_fields = ("name",)
    ordering = ("position", "id")


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = ("external_id", "name", "phone", "email", "language", "preferred_channel")

    def clean_phone(self) -> str:
        raw = self.cleaned_data.get("phone", "")
        if not raw:
            return ""
        try:
            return normalize_phone(raw)
        except InvalidPhone as exc:
            raise forms.ValidationError(str(exc)) from exc


@admin.register(Customer)
class CustomerAdmin(LargeTableMixin, NoBulkDeleteMixin, IndexedSearchMixin, admin.ModelAdmin):
    form = CustomerForm
    list_display = (
        "external_id",
        "masked_name",
        "masked_phone",
        "masked_email",
        "language",
        "preferred_channel",
        "created_at",
    )
    list_filter = ("language", "preferred_channel")
    search_fields = ("external_id", "phone", "email")
    search_help_text = _("Exact customer id, phone number or e-mail address.")
    readonly_fields = ("created_at", "updated_at")
    sortable_by = ("external_id",)

    def search_condition(self, term: str) -> Q:
        phone = phone_or_none(term)
        condition = Q(external_id=term) | (Q(phone=phone) if phone else Q(pk__in=[]))
        if "@" in term:
            condition |= Q(email__in={term, term.lower()})
        return condition

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: Customer) -> str:
        return masked(obj, "phone")

    @admin.display(description=_("name"))
    def masked_name(self, obj: Customer) -> str:
        return masked(obj, "name")

    @admin.display(description=_("e-mail"))
    def masked_email(self, obj: Customer) -> str:
        return masked(obj, "email")

    @admin.display(description=_("who looked at this customer's data"))
    def who_looked(self, obj: Customer) -> str:
        records = list(customer_access_records(obj.pk))  # one query
        if not records:
            return gettext("Nobody has revealed this customer's data.")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    localtime(r.at).strftime("%Y-%m-%d %H:%M"),
                    r.who.get_username(),
                    r.get_field_display(),
                    r.get_purpose_display(),
                    r.note,
                    r.case.reference if r.case_id else "—",
                )
                for r in records
            ),
        )
        return format_html('<table class="access-records">{}</table>', rows)

    def _full_fields(self, request) -> frozenset[str]:
        """The contact fields this admin user sees in full on the change page (and may edit): the
        ones the reveal table lets them see without a case (privacy/policy.py); each opening of
        the page writes an access record per field (purpose: correction)."""
        return privacy_policy.revealable_fields(request.user, None)

    def get_fields(self, request, obj=None):
        if obj is None:
            return super().get_fields(request, obj)
        full = self._full_fields(request)
        contact = [f if f in full else f"masked_{f}" for f in ("name", "phone", "email")]
        return [
            "external_id",
            *contact,
            "language",
            "preferred_channel",
            "created_at",
            "updated_at",
            "who_looked",
        ]

    actions = ("download_bundle",)

    @admin.action(
        description=_("Download everything held about this customer"), permissions=["change"]
    )
    def download_bundle(self, request, queryset):
        """The customer's rights: the bundle of one selected customer (JSON + HTML, zipped)."""
        chosen = list(queryset[:2])
        if len(chosen) != 1:
            self.message_user(request, _("Choose exactly one customer."), messages.ERROR)
            return None
        bundle = customer_bundle(actor=request.user, customer=chosen[0])
        name = safe_name(chosen[0].external_id)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{name}.json", bundle.json)
            archive.writestr(f"{name}.html", bundle.html)
        response = HttpResponse(buffer.getvalue(), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="customer-{name}.zip"'
        return response

    def get_readonly_fields(self, request, obj=None):
        # The upstream systems' key: changing it would hand this customer's cases, orders and
        # contact to whoever the intake names with the new id.
        if obj is None:
            return self.readonly_fields
        masked_fields = [f for f in self.get_fields(request, obj) if f.startswith("masked_")]
        return (*self.readonly_fields, "external_id", *masked_fields, "who_looked")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            customer = self.get_object(request, object_id)
            if customer is not None:
                for field in sorted(self._full_fields(request)):
                    reveal(
                        actor=request.user,
                        customer=customer,
                        field=field,
                        purpose=Purpose.CORRECTION,
                        note=gettext("Customer page in the admin"),
                        ip=client_ip(request),
                    )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        """A new customer is saved as is; a contact change goes through the service that records
        it (timeline of the open cases, audit), never silently."""
        if not change:
            return super().save_model(request, obj, form, change)
        contact = {f: form.cleaned_data[f] for f in CONTACT_FIELDS if f in form.changed_data}
        other = [f for f in form.changed_data if f not in CONTACT_FIELDS]
        if other:
            current = Customer.objects.get(pk=obj.pk)
            for field in CONTACT_FIELDS:  # saved below through the service
                setattr(obj, field, getattr(current, field))
            obj.save(update_fields=[*other, "updated_at"])
        if contact:
            customer_contact_edit(actor=request.user, customer=obj, values=contact)
            obj.refresh_from_db()

    def has_delete_permission(self, request, obj=None):
        if obj is not None and (obj.cases.exists() or obj.recharge_orders.exists()):
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    """Status, root cause and resolution time change only through `incident_resolve` (staff UI)."""

    list_display = (
        "code",
        "title",
        "status",
        "root_cause",
        "started_at",
        "resolved_at",
        "case_count",
    )
    list_filter = ("status", "root_cause")
    search_fields = ("code", "title")
    date_hierarchy = "started_at"
    readonly_fields = ("status", "root_cause", "resolved_at", "created_by", "created_at")
    fields = ("code", "title", "description", "started_at", *readonly_fields)

    def get_queryset(self, request):
        cases = (
            Case.objects.filter(incident=OuterRef("pk"))
            .order_by()
            .values("incident")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .select_related("created_by")
            .annotate(case_count=Coalesce(Subquery(cases, output_field=IntegerField()), 0))
        )

    @admin.display(description=_("cases"), ordering="case_count")
    def case_count(self, obj: Incident) -> int:
        return obj.case_count

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        # Deleting would unlink its cases without a timeline event.
        return False


# --- Recharge orders (owned by the recharge system's feed) ---------------------------------------


class CarrierMismatchFilter(admin.SimpleListFilter):
    title = _("carrier mismatch")
    parameter_name = "carrier_mismatch"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        mismatch = (
            ~Q(declared_carrier="")
            & ~Q(looked_up_carrier="")
            & ~Q(declared_carrier=F("looked_up_carrier"))
        )
        if self.value() == "yes":
            return queryset.filter(mismatch)
        if self.value() == "no":
            return queryset.exclude(mismatch)
        return queryset


@admin.register(RechargeOrder)
class RechargeOrderAdmin(LargeTableMixin, IndexedSearchMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "order_id",
        "masked_phone",
        "declared_carrier",
        "looked_up_carrier",
        "carrier_mismatch",
        "face_value",
        "amount_paid",
        "status",
        "customer",
        "created_at",
    )
    list_filter = ("status", "declared_carrier", "looked_up_carrier", CarrierMismatchFilter)
    list_select_related = ("customer",)
    search_fields = ("order_id", "phone", "intended_phone", "customer__external_id", "client_ip")
    search_help_text = _("Exact order id, phone number (topped up or intended), customer id or IP.")
    raw_id_fields = ("customer",)
    # No index on created_at: newest first by primary key.
    ordering = ("-id",)
    sortable_by = ("order_id",)

    def search_condition(self, term: str) -> Q:
        customers = Customer.objects.filter(external_id=term).values_list("pk", flat=True)
        condition = Q(order_id=term) | Q(customer_id__in=list(customers))
        if phone := phone_or_none(term):
            condition |= Q(phone=phone) | Q(intended_phone=phone)
        with contextlib.suppress(ValueError):  # not an IP address
            condition |= Q(client_ip=str(ipaddress.ip_address(term)))
        return condition

    fieldsets = (
        (None, {"fields": ("order_id", "customer", "status")}),
        (
            _("Numbers and carriers"),
            {
                "fields": (
                    "masked_phone",
                    "masked_intended_phone",
                    "declared_carrier",
                    "carrier_by_prefix",
                )
            },
        ),
        (
            _("Amounts"),
            {"fields": ("face_value", "amount_paid", "currency", "paid_at", "amount_edits")},
        ),
        (_("Source"), {"fields": ("client_ip", "created_at", "updated_at")}),
    )
    readonly_fields = ("carrier_by_prefix", "masked_phone", "masked_intended_phone")

    @admin.display(description=_("number topped up"))
    def masked_phone(self, obj: RechargeOrder) -> str:
        return obj.masked_phone

    @admin.display(description=_("intended number"))
    def masked_intended_phone(self, obj: RechargeOrder) -> str:
        return obj.masked_intended_phone or "—"

    @admin.display(description=_("carrier mismatch"), boolean=True)
    def carrier_mismatch(self, obj: RechargeOrder) -> bool:
        return obj.carrier_mismatch

    @admin.display(description=_("carrier by number prefix"))
    def carrier_by_prefix(self, obj: RechargeOrder) -> str:
        return format_html(
            '{}<div class="help">{}</div>',
            obj.get_looked_up_carrier_display() or "—",
            gettext(PORTABILITY_CAVEAT),
        )


# --- Cases and their timeline (read-only apart from subject and description) ---------------------


class CaseEventInline(ReadOnlyInline):
    model = CaseEvent
    fields = ("created_at", "type", "actor", "payload")
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.display(description=_("detail"))
def evidence(flag: CaseFlag) -> str:
    """The flag's evidence in the reader's language (risk.texts)."""
    return detail_text(flag.detail)


class CaseFlagInline(ReadOnlyInline):
    model = CaseFlag
    fields = ("code", evidence, "created_at", "cleared_at", "cleared_by", "clear_reason")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("cleared_by")


class MessageInline(ReadOnlyInline):
    model = Message
    fields = ("created_at", "kind", "author", "body")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


class CreditAccountSnapshotInline(ReadOnlyMixin, admin.StackedInline):
    model = CreditAccountSnapshot
    fields = (
        ("limit", "available", "currency"),
        ("frozen", "overdue_days", "recent_login_failures"),
        "captured_at",
    )
    readonly_fields = (
        "limit",
        "available",
        "currency",
        "frozen",
        "overdue_days",
        "recent_login_failures",
        "captured_at",
    )
    extra = 0
    max_num = 0


CASE_EDITABLE = ("subject", "description")


@admin.register(Case)
class CaseAdmin(LargeTableMixin, IndexedSearchMixin, admin.ModelAdmin):
    """Subject and description are editable; everything else changes through the services."""

    list_display = (
        "reference",
        "subject",
        "category",
        "status",
        "priority",
        "queue",
        "assignee",
        "customer_label",
        "created_at",
    )
    list_filter = (
        "status",
        "category",
        "channel",
        "priority",
        "queue",
        ("assignee", admin.EmptyFieldListFilter),
        ("incident", admin.EmptyFieldListFilter),
        ("created_at", admin.DateFieldListFilter),
    )
    list_select_related = ("queue", "assignee", "customer")
    search_fields = (
        "reference",
        "customer__external_id",
        "customer__phone",
        "recharge_order__order_id",
    )
    search_help_text = _("Exact case reference, customer id, phone number or order id.")
    # Not date_hierarchy: its year list is a DISTINCT over every case on each page load.
    sortable_by = ("reference", "created_at")

    def search_condition(self, term: str) -> Q:
        return search_condition(term)

    fieldsets = (
        (None, {"fields": ("reference", "subject", "description")}),
        (
            _("Classification"),
            {
                "fields": (
                    "channel",
                    "category",
                    "sub_cause",
                    "suggested_sub_cause",
                    "priority",
                    "root_cause",
                    "resolution",
                )
            },
        ),
        (
            _("Handling"),
            {
                "fields": (
                    "status",
                    "queue",
                    "assignee",
                    "cycle",
                    "incident",
                    "duplicate_of",
                    "merged_into",
                )
            },
        ),
        (
            _("Customer and order"),
            {"fields": ("customer", "customer_phone", "recharge_order", "order_phone")},
        ),
        (
            _("Times"),
            {
                "fields": (
                    "received_at",
                    "created_at",
                    "updated_at",
                    "first_response_at",
                    "resolved_at",
                    "closed_at",
                )
            },
        ),
    )
    inlines = [CreditAccountSnapshotInline, CaseFlagInline, MessageInline, CaseEventInline]

    def get_readonly_fields(self, request, obj=None):
        shown = flatten_fieldsets(self.fieldsets)
        return [name for name in shown if name not in CASE_EDITABLE]

    @admin.display(description=_("customer"))
    def customer_label(self, obj: Case) -> str:
        return f"{obj.customer.external_id} · {obj.customer.masked_phone or '—'}"

    @admin.display(description=_("customer phone"))
    def customer_phone(self, obj: Case) -> str:
        return masked(obj.customer, "phone") or "—"

    @admin.display(description=_("number topped up"))
    def order_phone(self, obj: Case) -> str:
        return obj.recharge_order.masked_phone if obj.recharge_order_id else "—"

    def has_add_permission(self, request):
        return False  # cases come in through intake

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Through the service: an event on the timeline and an audit row, like every change.
        case_update_text(
            actor=request.user, case=obj, subject=obj.subject, description=obj.description
        )


@admin.register(CaseEvent)
class CaseEventAdmin(LargeTableMixin, CaseReferenceSearchMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "case", "type", "actor")
    list_filter = ("type",)
    list_select_related = ("case", "actor")
    search_fields = ("case__reference",)
    raw_id_fields = ("case", "actor")
    ordering = ("-id",)
    sortable_by = ()


@admin.register(CaseFlag)
class CaseFlagAdmin(LargeTableMixin, CaseReferenceSearchMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("case", "code", evidence, "created_at", "cleared_at", "cleared_by")
    list_filter = ("code", ("cleared_at", admin.EmptyFieldListFilter))
    list_select_related = ("case", "cleared_by")
    search_fields = ("case__reference",)
    raw_id_fields = ("case", "cleared_by")
    ordering = ("-id",)
    sortable_by = ()


@admin.register(CreditAccountSnapshot)
class CreditAccountSnapshotAdmin(
    LargeTableMixin, CaseReferenceSearchMixin, ReadOnlyMixin, admin.ModelAdmin
):
    list_display = (
        "case",
        "limit",
        "available",
        "currency",
        "frozen",
        "overdue_days",
        "recent_login_failures",
        "captured_at",
    )
    list_filter = ("frozen",)
    list_select_related = ("case",)
    search_fields = ("case__reference",)
    raw_id_fields = ("case",)
    ordering = ("-id",)
    sortable_by = ()


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fk_name = "message"
    fields = ("original_name", "content_type", "size", "sha256", "source", "created_at")


@admin.register(Message)
class MessageAdmin(LargeTableMixin, CaseReferenceSearchMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "case", "kind", "author", "excerpt")
    list_filter = ("kind",)
    list_select_related = ("case", "author")
    search_fields = ("case__reference",)
    raw_id_fields = ("case", "author")
    ordering = ("-id",)
    sortable_by = ()
    inlines = [AttachmentInline]

    @admin.display(description=_("text"))
    def excerpt(self, obj: Message) -> str:
        return Truncator(obj.body).chars(80)


@admin.register(Attachment)
class AttachmentAdmin(LargeTableMixin, IndexedSearchMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "original_name",
        "content_type",
        "size",
        "source",
        "case_reference",
        "created_at",
    )
    list_filter = ("content_type", "source")
    list_select_related = ("case",)
    search_fields = ("case__reference", "sha256")
    search_help_text = _("A case reference or a file's SHA-256.")
    raw_id_fields = ("case", "message", "uploaded_by")
    # The file itself is opened from the case's workspace (scoped, with safe headers), never
    # through a storage link here.
    exclude = ("file",)
    ordering = ("-id",)
    sortable_by = ()

    def search_condition(self, term: str) -> Q:
        return Q(case__reference=term.upper()) | Q(sha256=term.lower())

    @admin.display(description=_("case"))
    def case_reference(self, obj: Attachment) -> str:
        return obj.case.reference


@admin.register(ReferenceCounter)
class ReferenceCounterAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("day", "last")
    ordering = ("-day",)
