"""The migrations' side of the partitioning (cases 0028, backoffice 0011)."""

import logging

from django.conf import settings

from backoffice.partition_convert import convert, unpartition
from backoffice.partitions import SPECS

logger = logging.getLogger(__name__)


def _rows_up_to(schema_editor, table: str, limit: int) -> int:
    with schema_editor.connection.cursor() as cursor:
        sql = f'SELECT count(*) FROM (SELECT 1 FROM "{table}" LIMIT %s) AS t'  # noqa: S608
        cursor.execute(sql, [limit + 1])
        return cursor.fetchone()[0]


def partition_forwards(key: str):
    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        spec = SPECS[key]
        limit = settings.PARTITION_MIGRATE_MAX_ROWS
        if _rows_up_to(schema_editor, spec.table, limit) > limit:
            logger.warning(
                "%s has more than %s rows: left plain; run `manage.py partition_tables convert "
                "--table %s` (online, docs/operations.md)",
                spec.table,
                limit,
                key,
            )
            return
        convert(spec, ahead=settings.PARTITION_MONTHS_AHEAD)

    return forwards


def partition_backwards(key: str):
    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        unpartition(SPECS[key], schema_editor=schema_editor)

    return backwards
