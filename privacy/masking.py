"""Minimum-necessary display (PIPL): a customer's phone, e-mail and name as staff see them.

    masked(customer, "phone")  → "+86 139****5678"
    masked(customer, "email")  → "a***@example.com"
    masked(customer, "name")   → "张**" / "J*** S***"

Every staff screen, list, export and API response shows these; the full value is shown only by a
reveal (`privacy.services.reveal`), which writes an access record. The masks keep what a person
needs to recognise a customer on the phone (the carrier prefix and last four digits, the e-mail's
domain, the family name) and hide the length of a Chinese name.
"""

from cases.phones import mask_phone

FIELDS = ("phone", "email", "name")
MASK = "***"


def mask_email(value: str) -> str:
    """`alice@example.com` → `a***@example.com`; anything without an `@` → `***`."""
    if not value:
        return ""
    local, at, domain = value.partition("@")
    if not at or not domain:
        return MASK
    return f"{local[:1]}{MASK}@{domain}"


def _is_cjk(char: str) -> bool:
    return "\u2e80" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def mask_name(value: str) -> str:
    """`张三丰` → `张**`; `John Smith` → `J*** S***` (the first letter of each word)."""
    text = (value or "").strip()
    if not text:
        return ""
    if _is_cjk(text[0]):
        return f"{text[0]}**"
    return " ".join(f"{word[:1]}{MASK}" for word in text.split())


MASKERS = {"phone": mask_phone, "email": mask_email, "name": mask_name}


def mask_value(field: str, value: str) -> str:
    """One value of a customer field, masked (`field` is one of FIELDS)."""
    return MASKERS[field](value or "")


def masked(customer, field: str) -> str:
    """The customer's `field` as every screen shows it by default."""
    if field not in MASKERS:
        raise ValueError(f"not a personal field: {field}")
    if customer is None:
        return ""
    return mask_value(field, getattr(customer, field, "") or "")
