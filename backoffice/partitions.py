"""Monthly range partitions of the tables that grow without end (PostgreSQL only).

The timeline (`cases.CaseEvent`, by `created_at`) and the audit trail (`backoffice.AuditEntry`, by
`occurred_at`) are partitioned by month. Month bounds are midnights of the 1st in `TIME_ZONE`
(Asia/Shanghai): a business month is one partition, so a report over a month prunes to it.

- `convert` turns the existing plain table into a partitioned one without copying it: the old
  table becomes the partition `<table>_legacy` for every time before a bound (the start of the
  next month; the current month when the table is empty). A CHECK constraint on the bound is added
  NOT VALID and validated online, the unique indexes that must include the partition key are built
  CONCURRENTLY, then one short transaction renames the table, creates the partitioned parent under
  the old name (same indexes, foreign keys, checks, triggers, id sequence) and attaches the old
  table, which the validated CHECK lets PostgreSQL do without scanning it.
- `ensure_partitions` creates the partitions of this month and the next `ahead` months and the
  DEFAULT partition, so that no insert ever fails for want of a partition.
- `detach_expired` detaches (and drops, unless kept) the partitions wholly older than the table's
  retention period. The audit trail has none: its entries are kept (docs/operations.md).
- `unpartition` turns a partitioned table back into a plain one by copying (the migration's
  reverse, for small tables).

Django keeps `id` as the model's primary key; at SQL level it is (id, partition key). No foreign key
points into these tables (`convert` refuses if one does).
"""

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

LEGACY = "_legacy"
DEFAULT = "_default"
BOUND_CHECK = "_legacy_bound"
AUDIT_TRUNCATE_TRIGGER = (
    "CREATE TRIGGER backoffice_audit_no_truncate BEFORE TRUNCATE ON {table} "
    "FOR EACH STATEMENT EXECUTE FUNCTION backoffice_audit_no_truncate()"
)
AUDIT_ROW_TRIGGER = (
    "CREATE TRIGGER backoffice_audit_append_only BEFORE UPDATE OR DELETE ON {table} "
    "FOR EACH ROW EXECUTE FUNCTION backoffice_audit_append_only()"
)


class PartitionError(RuntimeError):
    pass


@dataclass(frozen=True)
class Spec:
    key: str
    label: str
    column: str
    # Column sets unique over the whole table in Django's state; at SQL level each is unique with
    # the partition key appended (PostgreSQL enforces uniqueness per partition only).
    uniques: tuple[tuple[str, ...], ...] = ()
    # Settings name holding the retention in months; None: never detached.
    retention_setting: str | None = None
    # Statement triggers every partition needs too (a TRUNCATE of a partition skips the parent's).
    partition_sql: tuple[str, ...] = ()
    # Triggers of the plain table, for `unpartition`.
    table_sql: tuple[str, ...] = ()

    @property
    def table(self) -> str:
        return apps.get_model(self.label)._meta.db_table

    def retention_months(self) -> int | None:
        if self.retention_setting is None:
            return None
        return getattr(settings, self.retention_setting, None)


SPECS = {
    "caseevent": Spec(
        key="caseevent",
        label="cases.CaseEvent",
        column="created_at",
        retention_setting="TIMELINE_RETENTION_MONTHS",
    ),
    "auditentry": Spec(
        key="auditentry",
        label="backoffice.AuditEntry",
        column="occurred_at",
        uniques=(("seq",), ("prev_hash",), ("hash",)),
        partition_sql=(AUDIT_TRUNCATE_TRIGGER,),
        table_sql=(AUDIT_ROW_TRIGGER, AUDIT_TRUNCATE_TRIGGER),
    ),
}


@dataclass(frozen=True)
class Partition:
    name: str
    lower: datetime | None  # None: MINVALUE
    upper: datetime | None
    default: bool
    rows: int | None = None


# --- months ---------------------------------------------------------------------------------


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def month_start(moment: datetime) -> datetime:
    local = moment.astimezone(_zone())
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def add_months(start: datetime, months: int) -> datetime:
    index = start.year * 12 + start.month - 1 + months
    return start.replace(year=index // 12, month=index % 12 + 1)


def partition_name(table: str, start: datetime) -> str:
    return f"{table}_p{start.astimezone(_zone()):%Y%m}"


def _literal(moment: datetime) -> str:
    return "'" + moment.isoformat() + "'"


# --- catalog --------------------------------------------------------------------------------


def _one(cursor, sql: str, params=None):
    cursor.execute(sql, params or [])
    return cursor.fetchone()


def is_partitioned(table: str) -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        row = _one(cursor, "SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [table])
    return bool(row) and row[0] == "p"


_BOUND = re.compile(r"FROM \((.+)\) TO \((.+)\)")


def _bound(text: str) -> datetime | None:
    if text == "MINVALUE" or text == "MAXVALUE":
        return None
    return datetime.fromisoformat(text.strip("'")).astimezone(_zone())


def partitions(table: str, *, counts: bool = False) -> list[Partition]:
    """The partitions of `table`, oldest first, the DEFAULT one last."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(%s)",
            [table],
        )
        found = []
        for name, bound in cursor.fetchall():
            rows = _one(cursor, f'SELECT count(*) FROM "{name}"')[0]  # noqa: S608 if counts else None
            if bound == "DEFAULT":
                found.append(Partition(name, None, None, True, rows))
                continue
            low, high = _BOUND.search(bound).groups()
            found.append(Partition(name, _bound(low), _bound(high), False, rows))
    oldest = datetime.min.replace(tzinfo=_zone())
    return sorted(found, key=lambda p: (p.default, p.lower or oldest))


# --- privileges -----------------------------------------------------------------------------

_GRANTS = (
    "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) "
    "END, a.privilege_type FROM pg_class c, aclexplode(c.relacl) a "
    "WHERE c.oid = to_regclass(%s) AND a.grantee <> c.relowner"
)


def grants(cursor, relation: str) -> list[tuple[str, str]]:
    """(grantee, privilege) on `relation` for every role but its owner."""
    cursor.execute(_GRANTS, [relation])
    return cursor.fetchall()


def apply_grants(cursor, relation: str, wanted: list[tuple[str, str]], kind="TABLE") -> None:
    """Give `relation` exactly the grants `wanted` (those of the table it stands for). A partition
    created by the owner would otherwise get the default privileges, and the audit trail's app
    role must not get UPDATE or DELETE on a partition (docs/operations.md, the database role)."""
    for grantee in {grantee for grantee, _ in grants(cursor, relation)}:
        cursor.execute(f"REVOKE ALL ON {kind} {relation} FROM {grantee}")
    for grantee, privilege in wanted:
        cursor.execute(f"GRANT {privilege} ON {kind} {relation} TO {grantee}")


def sync_grants(spec: Spec) -> None:
    """Every partition gets its parent's grants again (deploy/postgres/grants.sql grants on every
    table, partitions included; the audit trail's app role must only read and insert)."""
    if not is_partitioned(spec.table):
        return
    with transaction.atomic(), connection.cursor() as cursor:
        wanted = grants(cursor, spec.table)
        for partition in partitions(spec.table):
            apply_grants(cursor, partition.name, wanted)


# --- partitions ahead -----------------------------------------------------------------------


def _create_partition(cursor, spec: Spec, table: str, start: datetime) -> str:
    name = partition_name(table, start)
    end = add_months(start, 1)
    try:
        with transaction.atomic():
            cursor.execute(
                f'CREATE TABLE "{name}" PARTITION OF "{table}" '
                f"FOR VALUES FROM ({_literal(start)}) TO ({_literal(end)})"
            )
    except IntegrityError as exc:  # check_violation: the default partition holds rows of it
        raise PartitionError(
            f"cannot create {name}: {exc}. Move the DEFAULT partition's rows of "
            f"{start:%Y-%m} elsewhere first (docs/operations.md)."
        ) from exc
    for sql in spec.partition_sql:
        cursor.execute(sql.format(table=f'"{name}"'))
    apply_grants(cursor, name, grants(cursor, table))
    return name


def ensure_partitions(spec: Spec, *, now: datetime | None = None, ahead: int = 2) -> list[str]:
    """Create the DEFAULT partition and those of this month and the next `ahead` months that no
    partition covers yet; return the names created. A plain table is left alone. A month that
    cannot be created (its rows sit in the DEFAULT partition) does not stop the others: they are
    kept, then PartitionError names the months refused."""
    table = spec.table
    if not is_partitioned(table):
        return []
    existing = partitions(table)
    created, refused = [], []
    with transaction.atomic(), connection.cursor() as cursor:
        if not any(p.default for p in existing):
            cursor.execute(f'CREATE TABLE "{table}{DEFAULT}" PARTITION OF "{table}" DEFAULT')
            for sql in spec.partition_sql:
                cursor.execute(sql.format(table=f'"{table}{DEFAULT}"'))
            apply_grants(cursor, f"{table}{DEFAULT}", grants(cursor, table))
            created.append(f"{table}{DEFAULT}")
        start = month_start(now or timezone.now())
        for month in range(ahead + 1):
            begin = add_months(start, month)
            if any(_covers(p, begin) for p in existing):
                continue
            try:
                created.append(_create_partition(cursor, spec, table, begin))
            except PartitionError as exc:
                refused.append(str(exc))
    if created:
        logger.info("partitions created", extra={"table": table, "partitions": created})
    if refused:
        error = PartitionError("; ".join(refused))
        error.created = created
        raise error
    return created


def _covers(partition: Partition, moment: datetime) -> bool:
    if partition.default:
        return False
    low_ok = partition.lower is None or partition.lower <= moment
    return low_ok and (partition.upper is None or moment < partition.upper)


# --- retention ------------------------------------------------------------------------------


def expired(spec: Spec, *, now: datetime | None = None) -> list[Partition]:
    months = spec.retention_months()
    if months is None or not is_partitioned(spec.table):
        return []
    cutoff = add_months(month_start(now or timezone.now()), -months)
    return [
        p
        for p in partitions(spec.table)
        if not p.default and p.upper is not None and p.upper <= cutoff
    ]


def detach_expired(
    spec: Spec, *, now: datetime | None = None, keep: bool = False, lock_timeout: str = "5s"
) -> list[str]:
    """Detach the partitions whose every row is older than the retention period, then drop them
    (or keep them as plain tables out of every query, to archive with pg_dump, if `keep`).

    A DEFAULT partition exists, so PostgreSQL does not allow DETACH … CONCURRENTLY: the detach
    takes the parent's lock for a catalog change only, bounded by `lock_timeout`."""
    done = []
    for partition in expired(spec, now=now):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{lock_timeout}'")
            cursor.execute(f'ALTER TABLE "{spec.table}" DETACH PARTITION "{partition.name}"')
            if not keep:
                cursor.execute(f'DROP TABLE "{partition.name}"')
        done.append(partition.name)
        logger.info(
            "partition detached",
            extra={"table": spec.table, "partition": partition.name, "dropped": not keep},
        )
    return done


def maintain(*, now: datetime | None = None, keep: bool = False) -> dict[str, dict[str, list]]:
    """Every partitioned table: partitions ahead created, expired ones detached."""
    if connection.vendor != "postgresql":
        return {}
    done = {}
    for key, spec in SPECS.items():
        try:
            created = ensure_partitions(spec, now=now, ahead=settings.PARTITION_MONTHS_AHEAD)
            errors = []
        except PartitionError as exc:  # the other months were created; the DEFAULT catches
            logger.error("partitions refused: %s", exc, extra={"table": spec.table})
            created, errors = getattr(exc, "created", []), [str(exc)]
        detached = detach_expired(spec, now=now, keep=keep)
        sync_grants(spec)
        done[key] = {"created": created, "detached": detached, "errors": errors}
    return done
