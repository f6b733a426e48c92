"""The safe renderer of a macro's text: `{name}` placeholders filled from the customer's view only.

A macro's text goes to the customer, so its variables are a whitelist of customer-facing values
(the same ones `notifications.customer.CustomerContext` gives customer templates, plus the amount
of the case's refund). Nothing is evaluated: a placeholder is `{` + a known name + `}` and is
replaced by a plain string; there is no attribute access, indexing or format specification (as
`str.format` would allow), so no text, however it is written, reaches anything else. Unknown
names are refused when the macro is saved (`unknown_variables`), and a known name without a
value for a case is refused when the macro is applied (`missing_values`), never sent blank.
"""

import re

from django.utils.translation import gettext_lazy as _

# Every name a macro may use, with what it stands for (shown in the admin).
VARIABLES = {
    "customer_name": _("the customer's name"),
    "reference": _("the case reference"),
    "category": _("the complaint category in words written for customers"),
    "received_at": _("when the complaint was received"),
    "deadline": _("the resolution deadline"),
    "regulatory_deadline": _("the regulatory decision deadline"),
    "refund_amount": _("the amount of the case's latest refund, with its currency"),
}

# A placeholder: braces around anything but braces (so `{customer.__class__}` is one unknown name).
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def variables_in(text: str) -> list[str]:
    """The names the text uses, in order of first use."""
    seen: list[str] = []
    for name in PLACEHOLDER.findall(text or ""):
        name = name.strip()
        if name not in seen:
            seen.append(name)
    return seen


def unknown_variables(text: str) -> list[str]:
    return [name for name in variables_in(text) if name not in VARIABLES]


def missing_values(text: str, values: dict[str, str]) -> list[str]:
    """The known names the text uses that have no value for this case."""
    return [name for name in variables_in(text) if name in VARIABLES and not values.get(name)]


def fill(text: str, values: dict[str, str]) -> str:
    """The text with each known placeholder replaced by its value; anything else left as written
    (the admin refuses unknown names, so this only matters for rows written around it)."""

    def one(match: re.Match) -> str:
        name = match.group(1).strip()
        if name in VARIABLES and values.get(name):
            return str(values[name])
        return match.group(0)

    return PLACEHOLDER.sub(one, text or "")
