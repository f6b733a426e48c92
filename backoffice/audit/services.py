"""The append-only, HMAC-chained audit trail (the links: `backoffice.audit.chain`).

Each entry holds the hash of the previous entry and the HMAC of its own canonical content under a
key kept outside the database; `backoffice.audit.checkpoints` anchors the head outside the table. Writers
serialise on one PostgreSQL advisory lock held to the end of their transaction, so the chain stays
linear however many transactions write at once. Services call `audit_record` as their *last*
statement, so the lock is held only from that insert to the commit.
"""

import hmac
import json
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from backoffice.audit.chain import (
    GENESIS,
    KEYED_MARKER_ACTION,
    LEGACY_KEY_ID,
    canonical_json,
    entry_content,
    keyed_hash,
    plain_hash,
    sign,
    verification_keys,
)
from backoffice.audit.models import AuditEntry
from backoffice.holding import holding

__all__ = ["GENESIS", "audit_deferred", "audit_record", "audit_verify", "audit_walk"]

_LOCK_KEY = 0x6175646974  # "audit"
_deferred: ContextVar[list[AuditEntry] | None] = ContextVar("audit_deferred", default=None)


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
    if connection.vendor == "postgresql":  # the lock, then the head: one round trip
        with connection.cursor() as cursor:
            cursor.execute("SELECT seq, hash FROM audit_chain_head_locked(%s)", [_LOCK_KEY])
            last = cursor.fetchone()
    else:
        last = AuditEntry.objects.order_by("-seq").values_list("seq", "hash").first()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    for entry in entries:
        entry.seq = seq
        sign(entry, prev_hash)
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


@dataclass(frozen=True)
class ChainWalk:
    """What a walk found: entries verified, the head it ended on, the first broken link, and the
    hashes of the entries asked for by seq (to compare with checkpoints)."""

    checked: int
    head_seq: int
    head_id: int | None
    head_hash: str
    broken: ChainBreak | None
    hashes: dict[int, str]


def _link_problem(entry: AuditEntry, prev_hash: str, keys: dict[str, bytes]) -> str | None:
    if entry.prev_hash != prev_hash:
        return "previous-hash link does not match"
    content = entry_content(entry)
    if entry.key_id == LEGACY_KEY_ID:
        if entry.hash != plain_hash(prev_hash, content):
            return "content does not match its hash"
        return None
    key = keys.get(entry.key_id)
    if key is None:
        return f"signed with an unknown key id {entry.key_id!r}"
    if not hmac.compare_digest(entry.hash, keyed_hash(key, prev_hash, content)):
        return "content does not match its hash (HMAC)"
    return None


def audit_walk(*, batch_size: int = 5000, want: frozenset[int] = frozenset()) -> ChainWalk:
    """Walk the chain in order and stop at the first broken link.

    Keyed entries verify by HMAC under their key id. Plain-hash (legacy) entries verify only as the
    prefix written before the chain was keyed: one after a keyed entry, or a run of them that no
    keyed entry follows (a forged append with a correctly computed plain hash), is a break.
    """
    keys = verification_keys()
    prev_hash, expected_seq, checked, last_seq, head_id = GENESIS, 1, 0, 0, None
    keyed_seen, unanchored, hashes = False, None, {}

    def result(broken=None, verified=None):
        verified = checked if verified is None else verified
        return ChainWalk(verified, last_seq, head_id, prev_hash, broken, hashes)

    while True:
        batch = list(AuditEntry.objects.filter(seq__gt=last_seq).order_by("seq")[:batch_size])
        if not batch:
            if unanchored is not None:
                seq, pk, before = unanchored
                reason = "entry without a valid HMAC (plain hash only)"
                return result(ChainBreak(seq, pk, reason), before)
            return result()
        for entry in batch:
            if entry.seq != expected_seq:
                return result(
                    ChainBreak(entry.seq, entry.pk, f"sequence gap: expected {expected_seq}")
                )
            problem = _link_problem(entry, prev_hash, keys)
            if problem is None and entry.key_id == LEGACY_KEY_ID:
                if keyed_seen:
                    problem = "entry without a valid HMAC (plain hash after the chain was keyed)"
                elif unanchored is None:
                    unanchored = (entry.seq, entry.pk, checked)
            elif problem is None and not keyed_seen:
                keyed_seen = True
                if unanchored is not None and not _is_boundary(entry):
                    seq, pk, before = unanchored
                    reason = "plain-hash entries not anchored by the keying boundary"
                    return result(ChainBreak(seq, pk, reason), before)
                unanchored = None
            if problem is not None:
                return result(ChainBreak(entry.seq, entry.pk, problem))
            prev_hash, expected_seq, last_seq, head_id = (
                entry.hash,
                entry.seq + 1,
                entry.seq,
                entry.pk,
            )
            if entry.seq in want:
                hashes[entry.seq] = entry.hash
            checked += 1


def _is_boundary(entry: AuditEntry) -> bool:
    """The keyed entry the keying migration wrote right after the legacy prefix, naming it."""
    return (
        entry.action == KEYED_MARKER_ACTION
        and entry.payload.get("legacy_last_seq") == entry.seq - 1
        and entry.payload.get("legacy_head_hash") == entry.prev_hash
    )


def audit_verify(*, batch_size: int = 5000) -> tuple[int, ChainBreak | None]:
    """Walk the chain in order; return how many entries held and the first broken link, if any."""
    walk = audit_walk(batch_size=batch_size)
    return walk.checked, walk.broken
