from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RefundsConfig(AppConfig):
    name = "refunds"
    verbose_name = _("Refunds")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from cases.api.sections import register_detail_section
        from refunds.api.sections import refunds_section

        register_detail_section("refunds", refunds_section)
