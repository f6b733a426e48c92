import sys

from django.core.management.base import BaseCommand

from backoffice.audit.services import audit_verify


class Command(BaseCommand):
    help = "Walk the audit hash chain; exit 1 naming the first broken row."

    def handle(self, *args, **options):
        checked, broken = audit_verify()
        if broken is None:
            self.stdout.write(self.style.SUCCESS(f"audit chain intact: {checked} entries verified"))
            return
        self.stderr.write(
            f"audit chain BROKEN at entry seq={broken.seq} (id={broken.entry_id}): {broken.reason}; "
            f"{checked} entries before it verified"
        )
        sys.exit(1)
