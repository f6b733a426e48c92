"""What a customer may read about their case: the only context customer templates are given.

Every customer message (SMS, e-mail) is rendered from a `CustomerContext` and nothing else. It is a
whitelist: the case's reference, the customer's own name, the category in words written for
customers, the deadlines, the link to the case's status page, and the texts staff wrote *for the customer* (a public reply, the reason
for an extension, the resolution summary). Internal notes, root causes, sub-causes, risk flags,
queues, incidents and staff names have no field here, so no template, however it is edited in the
admin, can reach them.
"""

from dataclasses import asdict, dataclass, replace

from django.utils import translation
from django.utils.translation import pgettext_lazy

from cases.choices import Category, Status

# Category wording for customers, separate from the internal labels (which name what staff check).
CUSTOMER_CATEGORY_LABELS = {
    Category.RECHARGE_WRONG_NUMBER: pgettext_lazy("customer", "Top-up to a number not intended"),
    Category.RECHARGE_WRONG_CARRIER: pgettext_lazy("customer", "Top-up with another carrier"),
    Category.RECHARGE_WRONG_AMOUNT: pgettext_lazy("customer", "Top-up amount not as intended"),
    Category.RECHARGE_NOT_CREDITED: pgettext_lazy("customer", "Top-up not received"),
    Category.RECHARGE_DUPLICATE_CHARGE: pgettext_lazy(
        "customer", "Charged more than once for a top-up"
    ),
    Category.CREDIT_LIMIT_UNUSABLE: pgettext_lazy("customer", "Credit limit cannot be used"),
    Category.OTHER: pgettext_lazy("customer", "Your enquiry"),
}

# What a customer reads when a case was resolved without a summary written for them (an
# integration that does not send one, an incident resolved in bulk): never the internal note.
DEFAULT_SUMMARY = pgettext_lazy(
    "customer", "We have looked into your complaint and completed its handling."
)
SENTENCE_ENDS = ("。", "！", "？", ".", "!", "?")


def customer_category(category: str, language: str) -> str:
    with translation.override(language):
        return str(CUSTOMER_CATEGORY_LABELS.get(category, CUSTOMER_CATEGORY_LABELS[Category.OTHER]))


def default_summary(language: str) -> str:
    with translation.override(language):
        return str(DEFAULT_SUMMARY)


@dataclass(frozen=True)
class CustomerContext:
    """Plain strings only. Per-purpose fields (`reply`, `reason`, …) are empty unless the event
    that sends the message fills them with text written for the customer."""

    reference: str
    customer_name: str
    category: str
    received_at: str
    resolution_due: str
    regulatory_due: str
    regulatory_days: str
    resolution: str  # the customer summary of a resolved case
    reply: str = ""  # a public reply
    reason: str = ""  # why the deadline was extended (the supervisor's form says it is sent)
    new_due: str = ""
    days: str = ""
    amount: str = ""
    currency: str = ""
    follows: str = ""  # the reference of the case a follow-up case continues
    status_url: str = ""  # the customer's own link to the case's status page (portal)

    def with_extra(self, extra: dict | None) -> "CustomerContext":
        """The context with per-purpose fields set; a key that is not a field is a TypeError."""
        return replace(self, **{k: "" if v is None else str(v) for k, v in (extra or {}).items()})

    def as_dict(self) -> dict:
        return asdict(self)


def customer_context(case, *, language: str, clocks: dict, local) -> CustomerContext:
    """The customer's view of `case` in `language`; `clocks` by metric, `local` formats a time."""
    resolution, regulatory = clocks.get("resolution"), clocks.get("regulatory_decision")
    summary = ""
    if case.status in (Status.RESOLVED, Status.CLOSED):
        summary = (case.customer_summary or "").strip() or default_summary(language)
        if not summary.endswith(SENTENCE_ENDS):
            summary += "。" if language.startswith("zh") else "."
    return CustomerContext(
        reference=case.reference,
        customer_name=case.customer.name or "",
        category=customer_category(case.category, language),
        received_at=local(case.received_at),
        resolution_due=local(resolution.due_at) if resolution else "",
        regulatory_due=local(regulatory.due_at) if regulatory else "",
        regulatory_days=str(regulatory.amount) if regulatory else "",
        resolution=summary,
    )
