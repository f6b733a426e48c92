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

__all__ = [
    "NO_DUE",
    "Attachment",
    "Case",
    "CaseEvent",
    "CaseFlag",
    "ContactChange",
    "ContactChangeStatus",
    "CreditAccountSnapshot",
    "Customer",
    "Incident",
    "Message",
    "Queue",
    "QueueCount",
    "QueueMembership",
    "RechargeOrder",
    "ReferenceCounter",
    "RoutingRule",
]
