from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegulatoryConfig(AppConfig):
    """The regulator's classification of complaints (JR/T 0169-2018) and its periodic statistics."""

    name = "regulatory"
    verbose_name = _("Regulatory classification")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from backoffice.cache import clear_on_edits
        from regulatory.models import Code, CodeMapping, CodeSet

        clear_on_edits(CodeSet, Code, CodeMapping)
