from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """Personal information (PIPL): masking by default, reveals with a purpose, access records."""

    name = "privacy"
    verbose_name = _("Personal information")
    default_auto_field = "django.db.models.BigAutoField"
