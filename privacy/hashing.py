"""Keyed hashes of personal data, for records that must not hold the data itself (the audit chain).

`personal_ref(value)` is `hmac-sha256:<hex>` under PRIVACY_HASH_KEY (default: derived from
SECRET_KEY). The same value always gives the same reference, so an auditor holding the key and a
candidate value (the customer's phone, a note) can check that an entry is about it; without the
key, a reference reveals nothing, not even for a value as guessable as a phone number. Empty
values stay empty (the fact that a field was blanked is not personal).
"""

import hashlib
import hmac

from django.conf import settings

PREFIX = "hmac-sha256:"


def hash_key() -> bytes:
    key = getattr(settings, "PRIVACY_HASH_KEY", "") or ""
    if key:
        return key.encode()
    return hashlib.sha256(b"privacy-hash:" + settings.SECRET_KEY.encode()).digest()


def normalised(value) -> str:
    text = "" if value is None else str(value).strip()
    return text.lower() if "@" in text else text


def personal_ref(value) -> str:
    """The keyed reference of one personal value ("" for an empty one)."""
    text = normalised(value)
    if not text:
        return ""
    digest = hmac.new(hash_key(), text.encode(), hashlib.sha256).hexdigest()
    return PREFIX + digest


def personal_refs(changes: dict) -> dict:
    """`{field: {"from": v, "to": v}}` (a contact change) with each value replaced by its ref."""
    return {
        field: {"from": personal_ref(change.get("from")), "to": personal_ref(change.get("to"))}
        for field, change in changes.items()
    }
