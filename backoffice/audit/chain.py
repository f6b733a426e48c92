"""The audit chain's links: canonical content, the keyed hash (HMAC-SHA256) and the keys.

Pure functions, no models: the migration that anchored the legacy chain uses them too.

Every entry written since the chain was keyed carries `key_id` and
`hash = HMAC-SHA256(key[key_id], prev_hash + canonical content including key_id)`. The key lives in
the environment (`AUDIT_HMAC_KEY`), never in the database, so someone who can write rows but does
not hold the key cannot append a row that verifies, nor recompute the chain after an edit.

Entries written before (the legacy prefix, `key_id = ""`) keep their plain `sha256(prev_hash +
content)`; they verify only as a prefix that a keyed entry anchors (docs/security.md).
"""

import hashlib
import hmac
import json
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

GENESIS = "0" * 64
LEGACY_KEY_ID = ""
# The entry the keying migration appended after the legacy prefix, naming its boundary.
KEYED_MARKER_ACTION = "audit.chain_keyed"


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return str(value)


def canonical_json(value) -> str:
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_json_default
    )


def entry_content(entry) -> dict:
    content = {
        "seq": entry.seq,
        "occurred_at": entry.occurred_at.astimezone(UTC).isoformat(),
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "payload": entry.payload,
    }
    if entry.key_id != LEGACY_KEY_ID:
        content["key_id"] = entry.key_id
    return content


def plain_hash(prev_hash: str, content: dict) -> str:
    """The legacy link: anyone can compute it, so alone it proves nothing against a writer."""
    return hashlib.sha256((prev_hash + canonical_json(content)).encode()).hexdigest()


def keyed_hash(key: bytes, prev_hash: str, content: dict) -> str:
    return hmac.new(key, (prev_hash + canonical_json(content)).encode(), hashlib.sha256).hexdigest()


def key_problem() -> str | None:
    """Why the configured key may not sign or verify the chain, or None. With DEBUG off it must be
    set, not the development default, and at least 32 characters."""
    key = settings.AUDIT_HMAC_KEY
    if settings.AUDIT_HMAC_KEY_REQUIRED and (key == settings.DEV_AUDIT_HMAC_KEY or len(key) < 32):
        return (
            "AUDIT_HMAC_KEY must be set to a random value of at least 32 characters when DEBUG "
            "is off."
        )
    return None


def require_key() -> None:
    """Refuse to go on without a usable key: the start of every process that writes or verifies
    the chain (web, workers, beat) and every signing or verification."""
    problem = key_problem()
    if problem:
        raise ImproperlyConfigured(problem)


def signing_key() -> tuple[str, bytes]:
    """(key id, key) that new entries and checkpoints are signed with."""
    require_key()
    return settings.AUDIT_HMAC_KEY_ID, settings.AUDIT_HMAC_KEY.encode()


def verification_keys() -> dict[str, bytes]:
    """Every key an entry may have been signed with: the current one and the retired ones."""
    require_key()
    keys = {key_id: key.encode() for key_id, key in settings.AUDIT_HMAC_RETIRED_KEYS.items()}
    keys[settings.AUDIT_HMAC_KEY_ID] = settings.AUDIT_HMAC_KEY.encode()
    return keys


def sign(entry, prev_hash: str) -> None:
    """Link `entry` after `prev_hash` under the current key (sets key_id, prev_hash, hash)."""
    key_id, key = signing_key()
    entry.key_id, entry.prev_hash = key_id, prev_hash
    entry.hash = keyed_hash(key, prev_hash, entry_content(entry))


def mac(payload: dict, *, key_id: str | None = None) -> str:
    """HMAC of a small record (a checkpoint) under the key `key_id` (default: the current one)."""
    keys = verification_keys()
    key = keys[key_id] if key_id is not None else signing_key()[1]
    return hmac.new(key, canonical_json(payload).encode(), hashlib.sha256).hexdigest()
