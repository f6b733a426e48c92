from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboundConfig(AppConfig):
    """What customers send back: e-mail polled over IMAP and SMS from the gateway's webhook,
    threaded to their cases, opened as new cases, or held for an agent."""

    name = "inbound"
    verbose_name = _("Inbound messages")
    default_auto_field = "django.db.models.BigAutoField"
