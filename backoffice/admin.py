"""Admin of the cross-cutting back-office models."""

from datetime import date, timedelta

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

import backoffice.audit.admin  # noqa: F401 - registers the audit trail's admin
from backoffice.admin_audit import AuditedAdminMixin, audit_auth_admin
from backoffice.auth_views import ThrottledAdminLoginForm
from backoffice.calendars.models import BusinessCalendar, CalendarDay

# The admin's login is throttled like the staff login page (backoffice/login_throttle.py).
admin.site.login_form = ThrottledAdminLoginForm
# The admin's headers in the reader's language (Django's default is "Django administration").
admin.site.site_header = _("Complaint & refund back-office: administration")
admin.site.site_title = _("Back-office administration")
admin.site.index_title = _("Configuration and records")
# Users and groups (roles) changed through the admin leave audit entries (backoffice/admin_audit.py).
audit_auth_admin(admin.site)

# --- Calendars -----------------------------------------------------------------------------------

VERIFICATION_WARNING_DAYS = 60


def verification_warning(calendar: BusinessCalendar, *, today: date | None = None) -> str | None:
    """Why ``verified_through`` needs attention (missing, or within 60 days), or None when fine."""
    today = today or timezone.localdate()
    consequence = gettext("Deadlines past this date are computed as ordinary weekdays and flagged.")
    if calendar.verified_through is None:
        return gettext("Not verified for any date. %(consequence)s") % {"consequence": consequence}
    left = (calendar.verified_through - today).days
    if calendar.verified_through < today + timedelta(days=VERIFICATION_WARNING_DAYS):
        return gettext(
            "Verified only through %(date)s (%(days)d days from today). %(consequence)s "
            "Enter next year's holidays and makeup working days, or run seed_calendar after "
            "upgrading chinesecalendar."
        ) % {
            "date": calendar.verified_through.isoformat(),
            "days": left,
            "consequence": consequence,
        }
    return None


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    fields = ("date", "kind", "name")
    extra = 1
    verbose_name_plural = _("special days (from January 1 of last year)")

    def get_queryset(self, request):
        # Decades of history make the page unusable; older days stay editable under Calendar days.
        since = date(timezone.localdate().year - 1, 1, 1)
        return super().get_queryset(request).filter(date__gte=since)


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "is_default",
        "time_zone",
        "business_start",
        "business_end",
        "verified_through",
        "verification_status",
    )
    readonly_fields = ("verification_status", "updated_at")
    fields = (
        "code",
        "name",
        "is_default",
        "time_zone",
        ("business_start", "business_end"),
        "verified_through",
        "verification_status",
        "updated_at",
    )
    inlines = [CalendarDayInline]

    @admin.display(description=_("verification"))
    def verification_status(self, obj: BusinessCalendar) -> str:
        if obj.pk is None:
            return "—"
        warning = verification_warning(obj)
        if warning:
            return format_html('<strong class="errornote">⚠ {}</strong>', warning)
        return gettext("Verified through %(date)s.") % {"date": obj.verified_through.isoformat()}

    def changelist_view(self, request, extra_context=None):
        for calendar in BusinessCalendar.objects.all():
            warning = verification_warning(calendar)
            if warning:
                messages.warning(request, f"{calendar}: {warning}")
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            calendar = self.get_object(request, object_id)
            warning = calendar and verification_warning(calendar)
            if warning:
                messages.warning(request, warning)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("date", "weekday", "kind", "name", "calendar")
    list_filter = ("calendar", "kind")
    date_hierarchy = "date"
    search_fields = ("name",)
    list_select_related = ("calendar",)
    ordering = ("-date",)

    @admin.display(description=_("weekday"), ordering="date")
    def weekday(self, obj: CalendarDay) -> str:
        return date_format(obj.date, "l")


# --- End of calendars ----------------------------------------------------------------------------
