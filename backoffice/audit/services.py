"""The append-only, hash-chained audit trail.

Each entry holds the hash of the previous entry and the hash of its own canonical content. Writers
serialise on one PostgreSQL advisory lock held to the end of their transaction, so the chain stays
linear however many transactions write at once. Services call `audit_record` as their *last*
statement, so the lock is held only from that insert to the commit.
"""

import hashlib
import json
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from backoffice.audit.models import AuditEntry
from backoffice.holding import holding

GENESIS = "0" * 64
_LOCK_KEY = 0x6175646974  # "audit"
_deferred: ContextVar[list[AuditEntry] | None] = ContextVar("audit_deferred", default=None)


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


def entry_content(entry: AuditEntry) -> dict:
    return {
        "seq": entry.seq,
        "occurred_at": entry.occurred_at.astimezone(UTC).isoformat(),
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "payload": entry.payload,
    }


def entry_hash(prev_hash: str, content: dict) -> str:
    return hashlib.sha256((prev_hash + canonical_json(content)).encode()).hexdigest()


def audit_record(
    *,
    actor,
    action: str,
    target=None,
    object_type: str = "",
    object_id="",
    payload: dict | None = None,
) -> AuditEntry | None:
    """Append one entry. Must run inside the transaction of the change it records. Inside
    `audit_deferred` the entry is held and appended when that block ends (None is returned)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change")
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or target.pk
    user = actor if getattr(actor, "is_authenticated", False) else None
    entry = AuditEntry(
        occurred_at=timezone.now(),
        actor=user,
        actor_label=user.get_username() if user else (str(actor) if actor else "system"),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        payload=json.loads(canonical_json(payload or {})),
    )
    held = _deferred.get()
    if held is not None:
        held.append(entry)
        return None
    _append([entry])
    return entry


def _append(entries: list[AuditEntry]) -> None:
    """Chain the entries after the head, under the chain's lock (held to commit)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    last = AuditEntry.objects.order_by("-seq").values_list("seq", "hash").first()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    for entry in entries:
        entry.seq, entry.prev_hash = seq, prev_hash
        entry.hash = entry_hash(prev_hash, entry_content(entry))
        seq, prev_hash = seq + 1, entry.hash
    AuditEntry.objects.bulk_create(entries)  # inserts only: the trail stays append-only


def audit_deferred():
    """Hold the entries the block records and append them, in order, when it ends without an
    exception. The chain's lock is then taken once and last, however deep in the block (say, in a
    rule run by a service the block calls) an entry was recorded: a service that also takes
    other locks (a counter row) never holds the chain's lock while waiting for them, so it cannot
    deadlock with a writer that holds such a lock and waits for the chain. Nested blocks join the
    outer one."""
    return holding(_deferred, _append)


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    entry_id: int
    reason: str


def audit_verify(*, batch_size: int = 5000) -> tuple[int, ChainBreak | None]:
    """Walk the chain in order; return how many entries held and the first broken link, if any."""
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    last_seq = 0
    while True:
        batch = list(AuditEntry.objects.filter(seq__gt=last_seq).order_by("seq")[:batch_size])
        if not batch:
            return checked, None
        for entry in batch:
            if entry.seq != expected_seq:
                return checked, ChainBreak(
                    entry.seq, entry.pk, f"sequence gap: expected {expected_seq}"
                )
            if entry.prev_hash != prev_hash:
                return checked, ChainBreak(entry.seq, entry.pk, "previous-hash link does not match")
            if entry.hash != entry_hash(prev_hash, entry_content(entry)):
                return checked, ChainBreak(entry.seq, entry.pk, "content does not match its hash")
            prev_hash, expected_seq, last_seq = entry.hash, entry.seq + 1, entry.seq
            checked += 1
