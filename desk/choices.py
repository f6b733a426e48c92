from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned to you")
    MENTIONED = "mentioned", _("Mentioned in a note")
    REFUND_DECIDED = "refund_decided", _("Your refund was decided")
    AT_RISK = "at_risk", _("A case of yours is about to breach")
    CSAT_LOW = "csat_low", _("Low satisfaction score to follow up")
