from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from cases.api.sections import register_detail_section
        from cases.notifications.selectors import notifications_section

        register_detail_section("notifications", notifications_section)
