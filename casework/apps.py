from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    """The work done on cases (intake, handling, conversation, incidents) and its screens; the case
    records themselves are the `cases` app's. No models."""

    name = "casework"
    verbose_name = _("Case work")

    def ready(self):
        from casework import queue_cache

        queue_cache.connect()
