from django.db import models
from django.utils.translation import gettext_lazy as _


class PolicyKind(models.TextChoices):
    SERVICE = "service", _("Service (first match by position)")
    REGULATORY = "regulatory", _("Regulatory (every match attaches)")


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")
    REGULATORY_DECISION = "regulatory_decision", _("Regulatory decision")
    REFUND_APPROVAL = "refund_approval", _("Refund approval")


class Unit(models.TextChoices):
    BUSINESS_MINUTES = "business_minutes", _("Business minutes")
    WORKING_DAYS = "working_days", _("Working days")
    CALENDAR_DAYS = "calendar_days", _("Calendar days")


class ClockState(models.TextChoices):
    ACTIVE = "active", _("Running")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")
    CANCELLED = "cancelled", _("Cancelled")


RUNNING_STATES = frozenset({ClockState.ACTIVE, ClockState.PAUSED})


class Threshold(models.TextChoices):
    WARN_50 = "warn_50", _("50% of the target elapsed")
    WARN_75 = "warn_75", _("75% of the target elapsed")
    DUE_SOON = "due_soon", _("Three days before a regulatory deadline")
    BREACH = "breach", _("Breached")


class EscalationAction(models.TextChoices):
    NOTIFY_ASSIGNEE_AND_LEAD = "notify_assignee_and_lead", _("Notify the assignee and team lead")
    NOTIFY_MANAGER = "notify_manager", _("Notify the managers")
    NOTIFY_COMPLIANCE = "notify_compliance", _("Notify compliance")
    MOVE_TO_QUEUE = "move_to_queue", _("Move the case to a queue")
    RAISE_PRIORITY = "raise_priority", _("Raise the priority one step")


class CustomerBasis(models.TextChoices):
    """The rule a customer is told a policy's deadlines come from ("根据《……》规定"): the names
    of the rules themselves, translated."""

    REGULATORY_COMPLAINTS = (
        "regulatory_complaints",
        _("the Measures for Handling Consumer Complaints in Banking and Insurance Institutions"),
    )
    SERVICE_COMMITMENT = "service_commitment", _("our Customer Service Commitment")
