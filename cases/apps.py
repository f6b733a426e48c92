from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from backoffice.cache import clear_on_edits
        from cases.models import Queue, RoutingRule

        clear_on_edits(Queue, RoutingRule)
