"""`manage.py migration_locks`: refuse the unapplied migrations that would lock a big table.

`deploy/release.sh` runs it before `migrate`. It collects the SQL of every unapplied migration (as
`sqlmigrate` shows it) and finds the statements that take a lock writers wait on, on a table that
grows with the cases and exists already: `ALTER TABLE`, `CREATE INDEX` without `CONCURRENTLY`,
`UPDATE`, `DELETE`, `LOCK TABLE`, and Python operations (a data migration) of an app owning such a
table. On a fresh database nothing exists yet, so a first install passes.

Exit code 1 lists them, unless `ALLOW_LOCKING_MIGRATIONS=1` (or `--allow`) says the operator has
chosen the quiet hour (docs/operations.md, "Upgrade").
"""

import os
import re

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.db.migrations.executor import MigrationExecutor

# The models whose tables grow with the cases (cf. docs/operations.md, "Scaling out").
BIG_MODELS = [
    "cases.Case",
    "cases.CaseEvent",
    "cases.CaseFlag",
    "cases.Customer",
    "cases.Message",
    "cases.Attachment",
    "cases.RechargeOrder",
    "cases.CreditAccountSnapshot",
    "sla.SlaClock",
    "notifications.Notification",
    "refunds.Refund",
    "refunds.RefundApproval",
    "refunds.RefundAttempt",
    "backoffice.AuditEntry",
    "regulatory.CaseCoding",
]
TABLE = r'"?(?P<table>[A-Za-z0-9_]+)"?'
LOCKING = [
    re.compile(rf"^\s*ALTER\s+TABLE\s+(?:ONLY\s+)?(?:IF\s+EXISTS\s+)?{TABLE}", re.I),
    re.compile(rf"^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?!CONCURRENTLY)[^;]*?\s+ON\s+{TABLE}", re.I),
    re.compile(rf"^\s*UPDATE\s+{TABLE}", re.I),
    re.compile(rf"^\s*DELETE\s+FROM\s+{TABLE}", re.I),
    re.compile(rf"^\s*LOCK\s+TABLE\s+{TABLE}", re.I),
]
NOT_SQL = "MIGRATION NOW PERFORMS OPERATION THAT CANNOT BE WRITTEN AS SQL"


class Command(BaseCommand):
    help = "Refuse unapplied migrations that lock a big table (ALLOW_LOCKING_MIGRATIONS=1 allows)."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")
        parser.add_argument("--allow", action="store_true", help="report, but do not refuse")

    def handle(self, *args, database, allow, **options):
        allow = allow or os.environ.get("ALLOW_LOCKING_MIGRATIONS") == "1"
        connection = connections[database]
        existing = set(connection.introspection.table_names())
        big = {apps.get_model(label)._meta.db_table: label for label in BIG_MODELS}
        big = {table: label for table, label in big.items() if table in existing}
        owners = {label.split(".")[0] for label in big.values()}
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        findings = []
        for migration, _backwards in plan:
            sql = executor.loader.collect_sql([(migration, False)])
            for statement in sql:
                if NOT_SQL in statement and migration.app_label in owners:
                    findings.append((migration, "a Python operation (data migration)"))
                for pattern in LOCKING:
                    match = pattern.match(statement)
                    if match and match["table"] in big:
                        findings.append((migration, statement.strip()[:160]))
                        break
        if not plan:
            self.stdout.write("No migrations to apply.")
            return
        self.stdout.write(f"{len(plan)} migration(s) to apply.")
        for migration, what in findings:
            self.stdout.write(
                f"  locks a big table: {migration.app_label}.{migration.name}: {what}"
            )
        if findings and not allow:
            raise CommandError(
                f"{len(findings)} statement(s) would lock a big table while they run; apply them "
                "in a quiet hour with ALLOW_LOCKING_MIGRATIONS=1 (docs/operations.md, Upgrade)."
            )
