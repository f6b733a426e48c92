from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from cases.api.sections import register_detail_section
        from notifications.selectors import notifications_section

        register_detail_section("notifications", notifications_section)
        _clear_config_cache_on_edits()


def _clear_config_cache_on_edits() -> None:
    """Configuration is cached per process (backoffice.cache); an edit clears it at once here."""
    from django.db.models.signals import post_delete, post_save

    from backoffice.cache import invalidate
    from backoffice.calendars.models import BusinessCalendar, CalendarDay
    from cases.models import Queue, RoutingRule
    from notifications.models import CannedSummary, NotificationTemplate
    from sla.models import SlaPolicy, SlaTarget

    def clear(sender, **kwargs):
        invalidate()

    for model in (
        SlaPolicy,
        SlaTarget,
        RoutingRule,
        Queue,
        NotificationTemplate,
        CannedSummary,
        BusinessCalendar,
        CalendarDay,
    ):
        post_save.connect(clear, sender=model, dispatch_uid=f"config-cache-{model.__name__}-save")
        post_delete.connect(
            clear, sender=model, dispatch_uid=f"config-cache-{model.__name__}-delete"
        )
