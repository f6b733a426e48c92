"""Every write of the cases app goes through one of these functions (STYLE.md rule 2)."""

from casework.services.attachments import IncomingFile, attach
from casework.services.channel_actor import channel_actor
from casework.services.contacts import contact_change_decide
from casework.services.conversation import (
    Written,
    case_customer_message,
    case_reply,
    customer_writes,
)
from casework.services.customers import CustomerData, customer_upsert
from casework.services.incidents import incident_link, incident_open, incident_resolve
from casework.services.intake import CreditAccountData, case_intake, case_open
from casework.services.intake_bulk import MAX_BULK_CASES, Complaint, cases_intake_bulk
from casework.services.macros import apply_macro, macro_preview
from casework.services.merge import case_merge
from casework.services.next_case import case_claim_next
from casework.services.orders import OrderData, recharge_order_upsert, recharge_orders_upsert
from casework.services.workflow import (
    case_assign,
    case_claim,
    case_extend_deadline,
    case_reopen,
    case_set_priority,
    case_transition,
    case_update_text,
)

__all__ = [
    "MAX_BULK_CASES",
    "Complaint",
    "CreditAccountData",
    "CustomerData",
    "IncomingFile",
    "OrderData",
    "Written",
    "apply_macro",
    "attach",
    "case_assign",
    "case_claim",
    "case_claim_next",
    "case_customer_message",
    "case_extend_deadline",
    "case_intake",
    "case_merge",
    "case_open",
    "case_reopen",
    "case_reply",
    "case_set_priority",
    "case_transition",
    "case_update_text",
    "cases_intake_bulk",
    "channel_actor",
    "contact_change_decide",
    "customer_upsert",
    "customer_writes",
    "incident_link",
    "incident_open",
    "incident_resolve",
    "macro_preview",
    "recharge_order_upsert",
    "recharge_orders_upsert",
]
