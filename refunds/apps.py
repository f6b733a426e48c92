from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RefundsConfig(AppConfig):
    name = "refunds"
    verbose_name = _("Refunds")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from cases.api.sections import register_detail_section
        from cases.services.orders import register_amount_guard
        from refunds import tasks  # noqa: F401 - registers the tasks refunds.dispatch names
        from refunds.api.sections import refunds_section
        from refunds.order_guard import orders_with_refunds

        register_detail_section("refunds", refunds_section)
        register_amount_guard(orders_with_refunds)
