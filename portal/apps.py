from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The customer's side of a case: the status page behind a signed link, evidence the customer
    sends from it, and the satisfaction survey on resolution."""

    name = "portal"
    verbose_name = _("Customer portal")
    default_auto_field = "django.db.models.BigAutoField"
