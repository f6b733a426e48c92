"""Risk rules: which rules exist, how severe a hit is, what a hit does, and watch-list states."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.choices import FlagCode


class RuleCode(models.TextChoices):
    """One rule per code; each raises the risk flag of the same code (`FlagCode`)."""

    IP_FAILURE_BURST = FlagCode.IP_FAILURE_BURST.value, FlagCode.IP_FAILURE_BURST.label
    AMOUNT_ANOMALY = FlagCode.AMOUNT_ANOMALY.value, FlagCode.AMOUNT_ANOMALY.label
    AMOUNT_EDITED = FlagCode.AMOUNT_EDITED.value, FlagCode.AMOUNT_EDITED.label
    CARRIER_MISMATCH = FlagCode.CARRIER_MISMATCH.value, FlagCode.CARRIER_MISMATCH.label
    REPEAT_COMPLAINANT = FlagCode.REPEAT_COMPLAINANT.value, FlagCode.REPEAT_COMPLAINANT.label
    REGULATOR_REFERRAL = FlagCode.REGULATOR_REFERRAL.value, FlagCode.REGULATOR_REFERRAL.label


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


SEVERITY_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2}


class RuleAction(models.TextChoices):
    FLAG = "flag", _("Flag the case")
    RAISE_PRIORITY = "raise_priority", _("Flag and raise the priority one step")
    ROUTE_TO_QUEUE = "route_to_queue", _("Flag and send to a queue")


class WatchStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CLEARED = "cleared", _("Cleared")
