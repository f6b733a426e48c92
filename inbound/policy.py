"""The rules of inbound mail: whose mail may go on a case, which customer a new mail is from, who
settles held mail. `inbound.services` enforces them; the held screen asks them."""

import hashlib

from django.utils.translation import gettext_lazy as _

from backoffice.roles import Role, has_role
from cases import policy as case_policy
from cases.models import Customer
from casework.services import CustomerData

MAX_BODY = case_policy.MAX_MESSAGE
EXTERNAL_ID_MAX = 64

# Why a mail waits for an agent (`InboundMessage.reason` of held rows), in words.
HELD_REASONS = [
    ("sender_mismatch", _("Sent from another address than the customer's")),
    ("unknown_case", _("Names a case that does not exist")),
    ("refused", _("Could not be added to a case")),
]
# Why a mail was ignored, or which of its files was left out, in words.
OTHER_REASONS = {
    "auto_submitted": _("An automatic reply"),
    "precedence": _("Bulk or list mail"),
    "autoreply": _("An automatic reply"),
    "auto_response_suppress": _("An automatic message"),
    "bounce": _("A bounce"),
    "loop": _("Our own message coming back"),
    "unreadable": _("Could not be read"),
    "attachment_file_too_big": _("A file was too big and was left out"),
    "attachment_file_type_not_allowed": _("A file of a type not accepted was left out"),
    "attachment_file_extension_mismatch": _(
        "A file whose name did not match its content was left out"
    ),
    "attachment_file_empty": _("An empty file was left out"),
    "attachment_too_many_files": _("Too many files; they were left out"),
}


def reason_text(code: str) -> str:
    """The reason code in words (the code itself when it has none)."""
    return str(dict(HELD_REASONS).get(code) or OTHER_REASONS.get(code) or code)


def sender_matches(*, sender: str, customer: Customer | None) -> bool:
    """A mail goes on a case only from the address on file for the case's customer (case-
    insensitive); anyone else's mail naming the case is held for an agent."""
    on_file = (getattr(customer, "email", "") or "").strip().lower()
    return bool(on_file) and on_file == (sender or "").strip().lower()


def customer_for(sender: str) -> CustomerData:
    """The customer a new mail is from: the one with this address on file (the earliest, when
    several share it), else a new one keyed by the address (`email:<address>`, hashed when too
    long for the external id)."""
    address = (sender or "").strip()
    known = Customer.objects.filter(email__iexact=address).order_by("id").first()
    if known is not None:
        return CustomerData(external_id=known.external_id, email=known.email)
    key = f"email:{address.lower()}"
    if len(key) > EXTERNAL_ID_MAX:
        key = "email:" + hashlib.sha256(address.lower().encode()).hexdigest()[:40]
    return CustomerData(external_id=key, email=address)


def may_handle_held(user) -> bool:
    """Agents and supervisors (and the roles above them) look at held mail and settle it."""
    return has_role(user, Role.AGENT, Role.SUPERVISOR, Role.MANAGER)
