"""Turn a plain table into a monthly-partitioned one in place, and back (`backoffice.partitions`).

Conversion, with bounded lock time (docs/operations.md, "Partitioned tables"):

1. `prepare` (online): a CHECK `<column> < bound` is added NOT VALID (a catalog change) and
   validated (a scan that takes SHARE UPDATE EXCLUSIVE: reads and writes go on); the unique indexes
   that must include the partition key, `(id, <column>)` and the spec's unique sets, are built
   CONCURRENTLY. Skipped for an empty table.
2. `swap` (one transaction, `lock_timeout` bounded): lock the table, rename it `<table>_legacy`
   (and its indexes), create the partitioned parent under the old name with the same columns,
   indexes, foreign keys, checks and triggers, move the id sequence to it, attach the old table
   for (MINVALUE, bound) — no scan, the validated CHECK proves it — and create the DEFAULT and
   monthly partitions from the bound on. Catalog work only: milliseconds whatever the size.

Inserts during 1 carry on into the plain table; during 2 they wait for the lock and then go into
the partitioned one. No row is copied, so none can be missed.
"""

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from backoffice.partitions import (
    BOUND_CHECK,
    DEFAULT,
    LEGACY,
    Spec,
    _create_partition,
    _literal,
    add_months,
    apply_grants,
    grants,
    is_partitioned,
    month_start,
)

logger = logging.getLogger(__name__)


def _say(out: Callable[[str], None] | None, message: str) -> None:
    logger.info(message)
    if out:
        out(message)


def _uniq_index(table: str, columns: tuple[str, ...]) -> str:
    return f"{table}_{'_'.join(columns)}_pu"[:63]


def _unique_sets(spec: Spec) -> list[tuple[str, ...]]:
    return [("id",), *spec.uniques]


def bound_for(*, now: datetime | None = None, empty: bool, latest: datetime | None = None):
    """The legacy partition's upper bound: this month's start for an empty table; else the next
    month's (the month after if that is less than a day away, so that no insert made while the
    conversion runs can reach it), or the month after the latest row's if that is later (a clock
    that ran ahead)."""
    now = now or timezone.now()
    start = month_start(now)
    if empty:
        return start
    bound = add_months(start, 1)
    bound = bound if bound - now > timedelta(days=1) else add_months(start, 2)
    if latest is not None and latest >= bound:
        bound = add_months(month_start(latest), 1)
    return bound


def _refs_into(cursor, table: str) -> list[str]:
    cursor.execute(
        "SELECT conname, conrelid::regclass::text FROM pg_constraint "
        "WHERE contype = 'f' AND confrelid = to_regclass(%s)",
        [table],
    )
    return [f"{name} on {source}" for name, source in cursor.fetchall()]


def prepare(spec: Spec, *, bound: datetime, out=None) -> None:
    """Step 1, online; must run outside a transaction block to build CONCURRENTLY (inside one, as
    in tests, the indexes are built plainly)."""
    table, column = spec.table, spec.column
    concurrently = "" if connection.in_atomic_block else "CONCURRENTLY"
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT IF EXISTS "{table}{BOUND_CHECK}"')
        cursor.execute(
            f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}{BOUND_CHECK}" '
            f'CHECK ("{column}" < {_literal(bound)}) NOT VALID'
        )
        _say(out, f"{table}: validating {column} < {bound.isoformat()} (online)")
        cursor.execute(f'ALTER TABLE "{table}" VALIDATE CONSTRAINT "{table}{BOUND_CHECK}"')
        for columns in _unique_sets(spec):
            name = _uniq_index(table, columns)
            cursor.execute(f'DROP INDEX {concurrently} IF EXISTS "{name}"')
            cols = ", ".join(f'"{c}"' for c in (*columns, column))
            _say(out, f"{table}: building unique index {name} ({cols}) {concurrently}")
            cursor.execute(f'CREATE UNIQUE INDEX {concurrently} "{name}" ON "{table}" ({cols})')


def _definitions(cursor, table: str) -> dict:
    """What the parent must carry, read from the plain table before it is renamed."""
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), "
        "EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid "
        "AND c.conrelid = i.indrelid) FROM pg_index i WHERE i.indrelid = to_regclass(%s)",
        [table],
    )
    indexes = cursor.fetchall()
    cursor.execute(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = to_regclass(%s) AND contype IN ('f', 'c') AND conname <> %s",
        [table, f"{table}{BOUND_CHECK}"],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
        "WHERE tgrelid = to_regclass(%s) AND NOT tgisinternal",
        [table],
    )
    triggers = cursor.fetchall()
    cursor.execute(
        "SELECT attidentity, pg_get_serial_sequence(%s, 'id') FROM pg_attribute "
        "WHERE attrelid = to_regclass(%s) AND attname = 'id'",
        [table, table],
    )
    identity, sequence = cursor.fetchone()
    return {
        "grants": grants(cursor, table),
        "sequence_grants": grants(cursor, sequence),
        "indexes": indexes,
        "constraints": constraints,
        "triggers": triggers,
        "identity": identity,
        "sequence": sequence,
    }


def _next_id(cursor, sequence: str) -> int:
    cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608 - a name
    last, called = cursor.fetchone()
    return last + 1 if called else last


def _rename_away(cursor, table: str, defs: dict) -> str:
    legacy = f"{table}{LEGACY}"
    cursor.execute(f'ALTER TABLE "{table}" RENAME TO "{legacy}"')
    for position, (index, _def, _constraint) in enumerate(defs["indexes"]):
        if index.endswith("_pu"):
            continue
        cursor.execute(f'ALTER INDEX "{index}" RENAME TO "{legacy}_{position}_idx"')
    for name, _def in defs["triggers"]:
        cursor.execute(f'DROP TRIGGER "{name}" ON "{legacy}"')
    return legacy


def _move_sequence(cursor, table: str, legacy: str, defs: dict) -> None:
    sequence = defs["sequence"]
    if defs["identity"]:
        start = _next_id(cursor, sequence)
        cursor.execute(f'ALTER TABLE "{legacy}" ALTER COLUMN id DROP IDENTITY')
        sequence = f'"{table}_id_seq"'
        cursor.execute(f"CREATE SEQUENCE {sequence} START WITH {start}")
    else:
        cursor.execute(f'ALTER TABLE "{legacy}" ALTER COLUMN id DROP DEFAULT')
    apply_grants(cursor, sequence.replace('"', ""), defs["sequence_grants"], kind="SEQUENCE")
    cursor.execute(f'ALTER SEQUENCE {sequence} OWNED BY "{table}".id')
    cursor.execute(f"ALTER TABLE \"{table}\" ALTER COLUMN id SET DEFAULT nextval('{sequence}')")


def _build_parent(cursor, spec: Spec, legacy: str, defs: dict) -> None:
    table, column = spec.table, spec.column
    cursor.execute(
        f'CREATE TABLE "{table}" (LIKE "{legacy}" INCLUDING DEFAULTS INCLUDING STORAGE '
        f'INCLUDING COMMENTS) PARTITION BY RANGE ("{column}")'
    )
    apply_grants(cursor, table, defs["grants"])
    _move_sequence(cursor, table, legacy, defs)
    for columns in _unique_sets(spec):
        index = _uniq_index(table, columns)
        cols = ", ".join(f'"{c}"' for c in (*columns, column))
        kind = "PRIMARY KEY" if columns == ("id",) else "UNIQUE"
        name = f"{table}_pkey" if columns == ("id",) else index
        on_legacy = f"{legacy}_{'_'.join(columns)}_key"[:63]
        cursor.execute(
            f'ALTER TABLE "{legacy}" ADD CONSTRAINT "{on_legacy}" UNIQUE USING INDEX "{index}"'
        )
        cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {kind} ({cols})')
    for _index, definition, is_constraint in defs["indexes"]:
        if not is_constraint and not _index.endswith("_pu"):
            cursor.execute(definition)  # same name and table: the parent's now
    for name, _kind, definition in defs["constraints"]:
        cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
    for _name, definition in defs["triggers"]:
        cursor.execute(definition)


def swap(spec: Spec, *, bound: datetime, ahead: int = 2, lock_timeout: str = "5s", out=None):
    """Step 2: one short transaction; returns the bound actually used."""
    table = spec.table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{lock_timeout}'")
        cursor.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
        cursor.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}")')  # noqa: S608 - a name
        if not cursor.fetchone()[0]:
            bound = bound_for(empty=True)
            for columns in _unique_sets(spec):
                cols = ", ".join(f'"{c}"' for c in (*columns, spec.column))
                name = _uniq_index(table, columns)
                cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
                cursor.execute(f'CREATE UNIQUE INDEX "{name}" ON "{table}" ({cols})')
        defs = _definitions(cursor, table)
        legacy = _rename_away(cursor, table, defs)
        _build_parent(cursor, spec, legacy, defs)
        cursor.execute(
            f'ALTER TABLE "{table}" ATTACH PARTITION "{legacy}" '
            f"FOR VALUES FROM (MINVALUE) TO ({_literal(bound)})"
        )
        cursor.execute(f'ALTER TABLE "{legacy}" DROP CONSTRAINT IF EXISTS "{table}{BOUND_CHECK}"')
        for sql in spec.partition_sql:
            cursor.execute(sql.format(table=f'"{legacy}"'))
        cursor.execute(f'CREATE TABLE "{table}{DEFAULT}" PARTITION OF "{table}" DEFAULT')
        for sql in spec.partition_sql:
            cursor.execute(sql.format(table=f'"{table}{DEFAULT}"'))
        apply_grants(cursor, f"{table}{DEFAULT}", defs["grants"])
        start = bound
        while start <= add_months(month_start(timezone.now()), ahead):
            _create_partition(cursor, spec, table, start)
            start = add_months(start, 1)
    _say(out, f"{table}: partitioned; {legacy} holds every row before {bound.isoformat()}")
    return bound


def convert(spec: Spec, *, ahead: int = 2, lock_timeout: str = "5s", out=None) -> bool:
    """Convert `spec`'s table if it is plain; False when it is partitioned already."""
    table = spec.table
    if is_partitioned(table):
        _say(out, f"{table}: already partitioned")
        return False
    with connection.cursor() as cursor:
        refs = _refs_into(cursor, table)
        if refs:
            raise RuntimeError(f"{table}: foreign keys point into it: {', '.join(refs)}")
        cursor.execute(f'SELECT max("{spec.column}") FROM "{table}"')  # noqa: S608 - names
        latest = cursor.fetchone()[0]
    bound = bound_for(empty=latest is None, latest=latest)
    empty = latest is None
    started = time.monotonic()
    if not empty:
        prepare(spec, bound=bound, out=out)
    prepared = time.monotonic()
    swap(spec, bound=bound, ahead=ahead, lock_timeout=lock_timeout, out=out)
    done = time.monotonic()
    _say(
        out,
        f"{table}: online steps {prepared - started:.1f} s, "
        f"locked swap {(done - prepared) * 1000:.0f} ms",
    )
    return True


def unpartition(spec: Spec, *, schema_editor=None) -> bool:
    """Make the table plain again by copying its rows (for small tables: the migration's reverse
    and tests). False when it is plain already."""
    table = spec.table
    if not is_partitioned(table):
        return False
    model = apps.get_model(spec.label)
    columns = ", ".join(f'"{f.column}"' for f in model._meta.concrete_fields)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
        cursor.execute(f'CREATE TEMP TABLE "keep_{table}" ON COMMIT DROP AS TABLE "{table}"')
        cursor.execute(f'DROP TABLE "{table}" CASCADE')
        if schema_editor is None:
            with connection.schema_editor(atomic=False) as editor:
                editor.create_model(model)
        else:
            schema_editor.create_model(model)
        cursor.execute(
            f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM "keep_{table}" ORDER BY id'  # noqa: S608
        )
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - names
            f'COALESCE((SELECT max(id) FROM "{table}"), 0) + 1, false)'
        )
        for sql in spec.table_sql:
            cursor.execute(sql.format(table=f'"{table}"'))
    return True
