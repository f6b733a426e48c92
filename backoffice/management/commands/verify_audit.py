"""Verify the audit trail: the HMAC chain from the first entry to the last, then the head against
the latest checkpoint kept outside the database. Exit 1 naming the first broken entry, the missing
range or the forged checkpoint; 0 when everything holds (docs/security.md)."""

import sys

from django.core.management.base import BaseCommand

from backoffice.audit.checkpoints import CheckpointError, latest_checkpoint
from backoffice.audit.services import audit_walk


class Command(BaseCommand):
    help = "Walk the audit HMAC chain and compare its head with the latest checkpoint."

    def add_arguments(self, parser):
        parser.add_argument(
            "--require-checkpoint",
            action="store_true",
            help="Fail when there is no checkpoint to compare with.",
        )

    def handle(self, *args, require_checkpoint=False, **options):
        try:
            checkpoint = latest_checkpoint()
        except CheckpointError as exc:
            self._fail(f"audit checkpoints FORGED: {exc}")
        walk = audit_walk(want=frozenset({checkpoint.seq}) if checkpoint else frozenset())
        if walk.broken is not None:
            broken = walk.broken
            self._fail(
                f"audit chain BROKEN at entry seq={broken.seq} (id={broken.entry_id}): "
                f"{broken.reason}; {walk.checked} entries before it verified"
            )
        if checkpoint is None:
            message = "no checkpoint to compare with: a cut tail cannot be detected"
            if require_checkpoint:
                self._fail(f"audit chain UNANCHORED: {message}")
            self.stderr.write(self.style.WARNING(f"warning: {message}"))
        elif walk.head_seq < checkpoint.seq:
            missing = checkpoint.seq - walk.head_seq
            after = f"after {walk.head_id} " if walk.head_id else ""
            ids = f"ids {after}up to {checkpoint.entry_id}"
            self._fail(
                f"audit chain TRUNCATED: entries seq={walk.head_seq + 1}..{checkpoint.seq} "
                f"({missing} entries, {ids}) are missing; the checkpoint of "
                f"{checkpoint.taken_at} recorded seq={checkpoint.seq}, the chain ends at "
                f"seq={walk.head_seq}"
            )
        elif checkpoint.seq and walk.hashes.get(checkpoint.seq) != checkpoint.head_hash:
            self._fail(
                f"audit chain REWRITTEN: entry seq={checkpoint.seq} does not match the checkpoint "
                f"of {checkpoint.taken_at}"
            )
        anchor = f"; head matches the checkpoint of {checkpoint.taken_at}" if checkpoint else ""
        self.stdout.write(
            self.style.SUCCESS(f"audit chain intact: {walk.checked} entries verified{anchor}")
        )

    def _fail(self, message: str):
        self.stderr.write(message)
        sys.exit(1)
