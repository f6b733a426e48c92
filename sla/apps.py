from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = _("SLA")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from backoffice.cache import clear_on_edits
        from sla.models import SlaPolicy, SlaTarget

        clear_on_edits(SlaPolicy, SlaTarget)
