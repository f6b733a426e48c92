from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _

from backoffice.audit.chain import key_problem


@checks.register(checks.Tags.security)
def audit_key_check(app_configs, **kwargs):
    """`check`, `check --deploy`, `migrate` and runserver report a missing audit key."""
    problem = key_problem()
    return [checks.Error(problem, id="backoffice.E001")] if problem else []


class BackofficeConfig(AppConfig):
    name = "backoffice"
    verbose_name = _("Back-office")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from backoffice.cache import clear_on_edits
        from backoffice.calendars.models import BusinessCalendar, CalendarDay

        clear_on_edits(BusinessCalendar, CalendarDay)
