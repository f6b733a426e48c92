"""Append a checkpoint of the audit chain's head to AUDIT_CHECKPOINT_DIR (beat does it hourly)."""

from django.core.management.base import BaseCommand

from backoffice.audit.checkpoints import audit_checkpoint, checkpoint_path


class Command(BaseCommand):
    help = "Checkpoint the audit chain's head outside the database."

    def handle(self, *args, **options):
        checkpoint = audit_checkpoint()
        self.stdout.write(
            f"audit checkpoint seq={checkpoint.seq} head={checkpoint.head_hash[:16]} "
            f"written to {checkpoint_path()}"
        )
