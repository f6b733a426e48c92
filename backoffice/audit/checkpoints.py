"""Checkpoints of the audit chain's head, kept outside the database.

A checkpoint is one JSON line `{"seq", "entry_id", "head_hash", "taken_at", "key_id", "mac"}`
appended to `AUDIT_CHECKPOINT_DIR/audit-checkpoints.jsonl` (by beat every AUDIT_CHECKPOINT_SECONDS
and by `manage.py audit_checkpoint`), with `mac` the HMAC of the other fields under the audit key.
The managers' daily summary quotes the latest one, so a copy also sits in their mailboxes.

`verify_audit` compares the chain with the latest checkpoint: a chain that ends before the
checkpointed seq lost its tail (the missing seqs are named); one whose entry at that seq has another
hash was rewritten. A line whose MAC does not verify is reported as forged.
"""

import hmac
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from backoffice.audit.chain import GENESIS, mac, signing_key
from backoffice.audit.models import AuditEntry

FILE_NAME = "audit-checkpoints.jsonl"


class CheckpointError(Exception):
    """The checkpoint file holds a line that is not a checkpoint signed with a known key."""


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    entry_id: int | None
    head_hash: str
    taken_at: str
    key_id: str
    mac: str

    def signed_fields(self) -> dict:
        fields = asdict(self)
        del fields["mac"]
        return fields


def checkpoint_path() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_DIR) / FILE_NAME


def audit_checkpoint() -> Checkpoint:
    """Append a checkpoint of the current head (the last committed entry) and return it."""
    with transaction.atomic():
        head = AuditEntry.objects.order_by("-seq").values_list("seq", "pk", "hash").first()
    seq, entry_id, head_hash = head if head else (0, None, GENESIS)
    key_id, _key = signing_key()
    fields = {
        "seq": seq,
        "entry_id": entry_id,
        "head_hash": head_hash,
        "taken_at": timezone.now().isoformat(),
        "key_id": key_id,
    }
    checkpoint = Checkpoint(**fields, mac=mac(fields))
    path = checkpoint_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(asdict(checkpoint), sort_keys=True) + "\n"
    # O_APPEND: the line lands at the end even with two writers; the file may be made append-only
    # for the writer (chattr +a) or shipped to WORM storage (docs/operations.md).
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return checkpoint


def _parse(number: int, line: str) -> Checkpoint:
    try:
        checkpoint = Checkpoint(**json.loads(line))
        expected = mac(checkpoint.signed_fields(), key_id=checkpoint.key_id)
    except (ValueError, TypeError, KeyError) as exc:
        raise CheckpointError(f"checkpoint line {number} is not a checkpoint ({exc})") from exc
    if not hmac.compare_digest(checkpoint.mac, expected):
        raise CheckpointError(f"checkpoint line {number} does not verify: its MAC is not ours")
    return checkpoint


def latest_checkpoint() -> Checkpoint | None:
    """The last checkpoint in the file (every line is checked), or None when there is none."""
    path = checkpoint_path()
    if not path.exists():
        return None
    latest = None
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                latest = _parse(number, line)
    return latest
