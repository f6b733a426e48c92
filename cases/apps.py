from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_delete

        from backoffice.cache import clear_on_edits
        from cases.models import Attachment, Queue, RoutingRule
        from cases.storage import remove_file_on_commit

        clear_on_edits(Queue, RoutingRule)
        # Storage housekeeping, not business logic: a file lives exactly as long as its row, however
        # the row goes (a case deleted or anonymised by a retention job, cascading to its files).
        post_delete.connect(
            remove_file_on_commit, sender=Attachment, dispatch_uid="attachment-file"
        )
