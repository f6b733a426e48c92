"""`manage.py partition_tables`: the monthly partitions of the timeline and the audit trail.

    partition_tables status   [--table T] [--counts]   what is partitioned, and how
    partition_tables convert  [--table T] [--lock-timeout 5s]   plain → partitioned, online
    partition_tables maintain [--keep]                 partitions ahead; expired ones detached

T is `caseevent`, `auditentry` or `all` (default). docs/operations.md, "Partitioned tables".
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from backoffice.partition_convert import convert
from backoffice.partitions import SPECS, is_partitioned, maintain, partitions


class Command(BaseCommand):
    help = "Convert, maintain or show the monthly partitions of the timeline and the audit trail."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["status", "convert", "maintain"])
        parser.add_argument("--table", choices=[*SPECS, "all"], default="all")
        parser.add_argument("--lock-timeout", default="5s")
        parser.add_argument("--counts", action="store_true", help="count the rows of each")
        parser.add_argument("--keep", action="store_true", help="detach, but do not drop")

    def handle(self, *args, action, table, lock_timeout, counts, keep, **options):
        if connection.vendor != "postgresql":
            raise CommandError("partitioning needs PostgreSQL; on SQLite the tables stay plain")
        specs = list(SPECS.values()) if table == "all" else [SPECS[table]]
        if action == "maintain":
            failed = False
            for key, done in maintain(keep=keep).items():
                self.stdout.write(f"{key}: created {done['created']}, detached {done['detached']}")
                for error in done["errors"]:
                    failed = True
                    self.stderr.write(f"{key}: {error}")
            if failed:
                raise CommandError("some partitions were refused (docs/operations.md)")
            return
        for spec in specs:
            if action == "convert":
                started = time.monotonic()
                convert(
                    spec,
                    ahead=settings.PARTITION_MONTHS_AHEAD,
                    lock_timeout=lock_timeout,
                    out=self.stdout.write,
                )
                self.stdout.write(f"{spec.table}: {time.monotonic() - started:.1f} s")
            else:
                self._status(spec, counts)

    def _status(self, spec, counts):
        if not is_partitioned(spec.table):
            self.stdout.write(f"{spec.table}: plain (run `partition_tables convert`)")
            return
        self.stdout.write(f"{spec.table}: partitioned by month on {spec.column}")
        for part in partitions(spec.table, counts=counts):
            if part.default:
                span = "DEFAULT"
            else:
                low = part.lower.isoformat() if part.lower else "MINVALUE"
                span = f"{low} → {part.upper.isoformat()}"
            rows = f"  {part.rows} rows" if part.rows is not None else ""
            self.stdout.write(f"  {part.name}: {span}{rows}")
