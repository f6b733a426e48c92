"""The case taxonomy of the domain brief and every status and kind used by the cases app."""

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    APP = "app", _("App")
    HOTLINE = "hotline", _("Hotline")
    WEB = "web", _("Web")
    EMAIL = "email", _("E-mail")
    REGULATOR = "regulator", _("Regulator referral")
    API = "api", _("Other system")
    SMS = "sms", _("SMS")


class Category(models.TextChoices):
    RECHARGE_WRONG_NUMBER = "recharge_wrong_number", _("Top-up to the wrong number")
    RECHARGE_WRONG_CARRIER = "recharge_wrong_carrier", _("Top-up with the wrong carrier")
    RECHARGE_WRONG_AMOUNT = "recharge_wrong_amount", _("Top-up of the wrong amount")
    RECHARGE_NOT_CREDITED = "recharge_not_credited", _("Top-up paid but not credited")
    RECHARGE_DUPLICATE_CHARGE = "recharge_duplicate_charge", _("Charged twice for one top-up")
    CREDIT_LIMIT_UNUSABLE = "credit_limit_unusable", _("Credit limit shown but unusable")
    OTHER = "other", _("Other")


RECHARGE_CATEGORIES = frozenset(c for c in Category.values if c.startswith("recharge_"))


class SubCause(models.TextChoices):
    """Why an available credit limit cannot be used (`credit_limit_unusable` only)."""

    SYSTEM_ERROR = "system_error", _("System or API failure")
    RISK_CONTROL = "risk_control", _("Risk-control adjustment")
    SECURITY_LOCK = "security_lock", _("Account security lock")
    OVERDUE = "overdue", _("Overdue balance")
    NETWORK_RESTRICTION = "network_restriction", _("Network environment restriction")
    ACTIVATION_FAILURE = "activation_failure", _("Activation or card binding failure")


class RootCause(models.TextChoices):
    USER_ERROR = "user_error", _("Customer error")
    SYSTEM_FAULT = "system_fault", _("System fault")
    CARRIER_FAULT = "carrier_fault", _("Carrier fault")
    RISK_CONTROL_POLICY = "risk_control_policy", _("Risk-control policy")
    SECURITY_LOCK = "security_lock", _("Security lock")
    FRAUD = "fraud", _("Fraud")
    NETWORK_ENVIRONMENT = "network_environment", _("Network environment")
    PRODUCT_DEFECT = "product_defect", _("Product defect")
    UNKNOWN = "unknown", _("Unknown")


class Priority(models.TextChoices):
    P1 = "p1", _("P1 · urgent")
    P2 = "p2", _("P2 · high")
    P3 = "p3", _("P3 · normal")


class Status(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_CUSTOMER = "waiting_customer", _("Waiting for the customer")
    WAITING_THIRD_PARTY = "waiting_third_party", _("Waiting for a third party")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = frozenset(
    {Status.NEW, Status.IN_PROGRESS, Status.WAITING_CUSTOMER, Status.WAITING_THIRD_PARTY}
)


class Carrier(models.TextChoices):
    CHINA_MOBILE = "china_mobile", _("China Mobile")
    CHINA_UNICOM = "china_unicom", _("China Unicom")
    CHINA_TELECOM = "china_telecom", _("China Telecom")
    CHINA_BROADNET = "china_broadnet", _("China Broadnet")


class OrderStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class MessageKind(models.TextChoices):
    REPLY = "reply", _("Public reply")
    NOTE = "note", _("Internal note")
    CUSTOMER = "customer", _("Customer message")


class AttachmentSource(models.TextChoices):
    """Where a file came in (a later channel, e-mail, adds its own value)."""

    WORKSPACE = "workspace", _("Uploaded in the workspace")
    API = "api", _("Uploaded through the API")
    INTAKE = "intake", _("Sent by the customer")
    EMAIL = "email", _("Sent by the customer by e-mail")
    PORTAL = "portal", _("Sent by the customer from the status page")


class AssignmentMode(models.TextChoices):
    MANUAL = "manual", _("Manual claim")
    ROUND_ROBIN = "round_robin", _("Round-robin on intake")


class FlagCode(models.TextChoices):
    CARRIER_MISMATCH = "carrier_mismatch", _("Carrier mismatch")
    IP_FAILURE_BURST = "ip_failure_burst", _("Burst of failed top-ups from one IP")
    AMOUNT_ANOMALY = "amount_anomaly", _("Amount far above the customer's usual")
    AMOUNT_EDITED = "amount_edited", _("Amount edited many times before paying")
    REPEAT_COMPLAINANT = "repeat_complainant", _("Repeat complainant")
    REGULATOR_REFERRAL = "regulator_referral", _("Regulator referral")
    DUPLICATE = "duplicate", _("Possible duplicate")
    MISSING_ORDER = "missing_order", _("Recharge order missing")


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class ContactChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")


class IncidentStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class EventType(models.TextChoices):
    OPENED = "opened", _("Case opened")
    ROUTED = "routed", _("Routed")
    CLAIMED = "claimed", _("Claimed")
    ASSIGNED = "assigned", _("Assigned")
    STATUS_CHANGED = "status_changed", _("Status changed")
    REOPENED = "reopened", _("Reopened")
    PRIORITY_CHANGED = "priority_changed", _("Priority changed")
    REPLY = "reply", _("Reply sent")
    NOTE = "note", _("Internal note")
    CUSTOMER_MESSAGE = "customer_message", _("Customer message")
    ATTACHMENT_ADDED = "attachment_added", _("Attachment added")
    FLAG_RAISED = "flag_raised", _("Risk flag raised")
    FLAG_CLEARED = "flag_cleared", _("Risk flag cleared")
    DUPLICATE_LINKED = "duplicate_linked", _("Linked as a possible duplicate")
    MERGED = "merged", _("Duplicate merged in")
    MERGED_INTO = "merged_into", _("Merged into another case")
    INCIDENT_LINKED = "incident_linked", _("Linked to an incident")
    INCIDENT_UNLINKED = "incident_unlinked", _("Unlinked from an incident")
    SUB_CAUSE_SET = "sub_cause_set", _("Sub-cause set")
    CHECKLIST_TICKED = "checklist_ticked", _("Checklist item ticked")
    EDITED = "edited", _("Subject or description edited")
    ORDER_LINKED = "order_linked", _("Recharge order linked")
    ORDER_AMOUNT_CHANGED = "order_amount_changed", _("Order amount changed by the feed")
    CONTACT_CHANGE_HELD = "contact_change_held", _("Customer contact change held for confirmation")
    CONTACT_CHANGED = "contact_changed", _("Customer contact changed")
    CONTACT_CHANGE_REJECTED = "contact_change_rejected", _("Customer contact change rejected")
    SLA = "sla", _("SLA clock")
    REFUND = "refund", _("Refund")
    NOTIFICATION = "notification", _("Notification")
    FOLLOW_UP_OPENED = "follow_up_opened", _("Follow-up case opened")
    INBOUND_HELD = "inbound_held", _("Customer message held for an agent")
    STATUS_LINK = "status_link", _("Customer status link")
    SATISFACTION = "satisfaction", _("Satisfaction survey")
    REGULATORY_CODES = "regulatory_codes", _("Regulatory classification")


def not_one_of(value, choices: type[models.Choices]) -> str:
    """A refusal of a value outside `choices`, naming the choices as the reader knows them."""
    return gettext("“%(value)s” is not one of: %(choices)s.") % {
        "value": value,
        "choices": gettext(", ").join(str(label) for label in choices.labels),
    }
