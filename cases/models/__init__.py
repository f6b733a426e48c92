from cases.models.cases import (
    NO_DUE,
    Case,
    CaseEvent,
    CaseFlag,
    CreditAccountSnapshot,
    ReferenceCounter,
)
from cases.models.customers import ContactChange, ContactChangeStatus, Customer
from cases.models.incidents import Incident
from cases.models.messages import Attachment, Message
from cases.models.orders import RechargeOrder
from cases.models.queues import Queue, QueueCount, QueueMembership, RoutingRule
from cases.notifications.models import CannedSummary, Notification, NotificationTemplate
from cases.risk.models import FlaggedIp, RiskRule
from cases.sla.models import EscalationRule, SlaClock, SlaPolicy, SlaTarget

__all__ = [
    "NO_DUE",
    "Attachment",
    "CannedSummary",
    "Case",
    "CaseEvent",
    "CaseFlag",
    "ContactChange",
    "ContactChangeStatus",
    "CreditAccountSnapshot",
    "Customer",
    "EscalationRule",
    "FlaggedIp",
    "Incident",
    "Message",
    "Notification",
    "NotificationTemplate",
    "Queue",
    "QueueCount",
    "QueueMembership",
    "RechargeOrder",
    "ReferenceCounter",
    "RiskRule",
    "RoutingRule",
    "SlaClock",
    "SlaPolicy",
    "SlaTarget",
]
