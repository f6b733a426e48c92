from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from backoffice.cache import clear_on_edits
        from notifications.models import CannedSummary, NotificationTemplate

        clear_on_edits(CannedSummary, NotificationTemplate)
