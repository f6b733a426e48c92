"""The values of a macro's variables for one case, in the customer's language.

They come from the customer's view of the case (`notifications.services.base_context`: the same
whitelist customer templates are given) and, for the refund amount, from the app that owns refunds,
plugged in through `settings.MACRO_VALUE_PROVIDERS` (`provider(case) -> dict`: macros never
imports refunds, which sits above it)."""

from backoffice.wiring import plugged
from notifications.services import base_context


def values_for(case, language: str) -> dict[str, str]:
    context = base_context(case, language)
    values = {
        "customer_name": context.customer_name,
        "reference": context.reference,
        "category": context.category,
        "received_at": context.received_at,
        "deadline": context.resolution_due,
        "regulatory_deadline": context.regulatory_due,
        "refund_amount": "",
    }
    for provider in plugged("MACRO_VALUE_PROVIDERS"):
        values.update({k: v for k, v in provider(case).items() if k in values})
    return values
