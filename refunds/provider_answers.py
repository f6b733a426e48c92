"""The provider's answer in words: what `status_reason` and an attempt's `error` hold (a provider
code such as `insufficient_funds`, a client message such as `POST /v1/refunds: 400 invalid_amount
(amount)`, or one of the pipeline's own English sentences) explained in the reader's language.

Never the raw code alone: a code with no explanation yet is named inside a translated sentence, and
a text we cannot read is shown as it came under a translated heading (`Answer.original`).
"""

import re
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# What the provider's codes mean (the sandbox's in devtools/providers/sandbox.py, API.md "Refund
# provider", and the refusals a real payment provider is known to give).
CODES: dict[str, Promise] = {
    "insufficient_funds": _(
        "The provider's merchant account did not hold enough money to pay this refund out. "
        "Once the account is topped up, retry it."
    ),
    "account_closed": _("The customer's account at the provider is closed; it cannot be paid."),
    "account_frozen": _("The customer's account at the provider is frozen; it cannot be paid now."),
    "refund_window_expired": _(
        "The original payment is too old for the provider to refund; pay it another way."
    ),
    "original_payment_not_found": _("The provider cannot find the original payment."),
    "amount_exceeds_original": _("The amount is more than the provider holds for the payment."),
    "invalid_amount": _(
        "The provider refused the amount (more than 0.00, at most two decimal places)."
    ),
    "invalid_currency": _("The provider refused the currency."),
    "invalid_reference": _("The provider refused our refund reference."),
    "missing_idempotency_key": _(
        "Our request to the provider was incomplete (no request key); tell the engineers."
    ),
    "invalid_idempotency_key": _(
        "Our request to the provider was malformed (its request key); tell the engineers."
    ),
    "idempotency_key_reused": _(
        "The provider already holds another request under this attempt's key, which may have "
        "been paid. Check the provider's ledger before anything else."
    ),
    "invalid_json": _("The provider could not read our request; tell the engineers."),
    "invalid_body": _("The provider could not read our request; tell the engineers."),
    "length_required": _("The provider could not read our request; tell the engineers."),
    "invalid_content_length": _("The provider could not read our request; tell the engineers."),
    "method_not_allowed": _("The provider could not read our request; tell the engineers."),
    "not_found": _("The provider does not know this refund."),
    "unavailable": _(
        "The provider was unavailable and gave no definite answer; the same request is sent again."
    ),
    "internal_error": _(
        "The provider had an internal error and gave no definite answer; the same request is "
        "sent again."
    ),
}

UNAVAILABLE = _(
    "The provider gave no definite answer (no reply in time, or one we could not read); the same "
    "request is sent again, so it cannot be paid twice."
)
REFUSED = _("The provider refused to pay without giving a reason.")
PAYLOAD_CHANGED = _(
    "The amount, currency, reason or order changed after approval, so it was not paid."
)
NO_DEFINITE_ANSWER = _(
    "The provider gave no definite answer for too long. Look this refund up in the provider's "
    "ledger and settle it."
)
UNKNOWN_CODE = _(
    "The provider refused it with a reason that has no explanation here yet (provider's code: "
    "%(code)s). Look it up in the provider's ledger."
)
UNKNOWN_TEXT = _("The provider's answer has no explanation here yet; it is shown as it came.")

# The pipeline's own sentences (refunds.processing, refunds.reconcile), by a phrase they contain.
SENTENCES: list[tuple[re.Pattern, Promise]] = [
    (re.compile(r"changed after approval", re.I), PAYLOAD_CHANGED),
    (re.compile(r"no definite answer from the provider", re.I), NO_DEFINITE_ANSWER),
    (re.compile(r"^refused by the provider$", re.I), REFUSED),
    (
        re.compile(
            r"timed? ?out|connection|unreadable body|malformed refund|about another refund|"
            r"max retries",
            re.I,
        ),
        UNAVAILABLE,
    ),
]
# "POST /v1/refunds: 400 invalid_amount (amount)": the client's message about an HTTP answer
HTTP_ANSWER = re.compile(r"\b(?P<status>[1-5]\d\d) (?P<code>[a-z][a-z0-9_]*)\b")
CODE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+|[a-z]+")
SETTLED_NOTE = "\nsettled by finance:"


@dataclass(frozen=True)
class Answer:
    text: str  # in the reader's language
    code: str = ""  # the provider's code, when there is one
    original: str = ""  # the text as stored, shown only where it is not explained


def _as_code(text: str) -> str:
    """A bare code (`insufficient_funds`), or an English phrase that is one (`Insufficient
    funds`), as a code; "" for anything else."""
    candidate = re.sub(r"[\s\-]+", "_", text.strip().rstrip(".").lower())
    return candidate if CODE.fullmatch(candidate) else ""


def explain(stored: str) -> Answer | None:
    """The answer of `stored` (a refund's `status_reason` without finance's note, or an
    attempt's `error`) in words; None when there is nothing to explain."""
    text = (stored or "").strip()
    if not text:
        return None
    for pattern, meaning in SENTENCES:
        if pattern.search(text):
            return Answer(text=str(meaning))
    http = HTTP_ANSWER.search(text)
    if http:
        code = http.group("code")
        if code in CODES:
            return Answer(text=str(CODES[code]), code=code)
        if http.group("status").startswith("5"):
            return Answer(text=str(UNAVAILABLE), code=code)
        return Answer(text=str(UNKNOWN_CODE) % {"code": code}, code=code)
    code = _as_code(text)
    if code in CODES:
        return Answer(text=str(CODES[code]), code=code)
    if code and " " not in text.strip():
        return Answer(text=str(UNKNOWN_CODE) % {"code": code}, code=code)
    return Answer(text=str(UNKNOWN_TEXT), original=text)


def split_settled_note(status_reason: str) -> tuple[str, str]:
    """(what the provider or the pipeline said, what finance wrote when settling it)."""
    reason = status_reason or ""
    head, found, note = reason.partition(SETTLED_NOTE)
    if not found and reason.startswith(SETTLED_NOTE.strip()):
        return "", reason[len(SETTLED_NOTE.strip()) :].strip()
    return head.strip(), note.strip()
