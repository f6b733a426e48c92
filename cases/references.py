"""Human case references `CS-YYYYMMDD-NNNNNN`, numbered per local day, unique under concurrency.

One atomic upsert per intake bumps the day's counter and returns the new value; concurrent intakes
queue on that one row for the rest of their transaction, so numbers never repeat.
"""

from datetime import date

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models.sql import InsertQuery
from django.utils import timezone

from cases.models import Case, ReferenceCounter

SENTINEL = "CS-numbered-in-sql"  # the reference's parameter, replaced by the counter's value


def _bump(table: str) -> str:
    return (
        f"INSERT INTO {table} (day, last) VALUES (%s, 1) "  # noqa: S608 - table name only
        f"ON CONFLICT (day) DO UPDATE SET last = {table}.last + 1 RETURNING last"
    )


def next_reference(*, day: date | None = None) -> str:
    day = day or timezone.localdate()
    table = connection.ops.quote_name(ReferenceCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_bump(table), [day])
        (number,) = cursor.fetchone()
    return f"CS-{day:%Y%m%d}-{number:06d}"


def case_insert_numbered(case: Case, *, day: date | None = None) -> None:
    """Insert the new `case` with the day's next reference, in one round trip on PostgreSQL: the
    counter's upsert is a data-modifying CTE in front of the case's INSERT (Django's own, with
    the reference's parameter replaced by the counter's value), so the counter row is locked at
    the same late moment as by `next_reference` then `save`. Elsewhere: those two statements."""
    day = day or timezone.localdate()
    if connection.vendor != "postgresql":
        case.reference = next_reference(day=day)
        case.save(force_insert=True)
        return
    meta = Case._meta
    case.reference = SENTINEL
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field]
    query = InsertQuery(Case)
    query.insert_values(fields, [case])
    compiler = query.get_compiler(using=DEFAULT_DB_ALIAS)
    compiler.returning_fields = [meta.pk]
    ((sql, params),) = compiler.as_sql()
    params = list(params)
    pieces = sql.split("%s")
    # One row of plain values: one placeholder per field, in the fields' order.
    at = fields.index(meta.get_field("reference"))
    if len(pieces) != len(fields) + 1 or params[at] != SENTINEL:
        raise RuntimeError("the case's INSERT is not one plain value per field")
    # six digits at least, as `{number:06d}` (lpad would cut a seventh: the millionth case of a
    # day, which a bench database of 10,000,000 cases reaches, would repeat a reference)
    numbered = "(SELECT %s || to_char(last, 'FM999999000000') FROM numbered)"
    pieces[at : at + 2] = [pieces[at] + numbered + pieces[at + 1]]
    params[at] = f"CS-{day:%Y%m%d}-"
    table = connection.ops.quote_name(ReferenceCounter._meta.db_table)
    reference = connection.ops.quote_name("reference")
    sql = (
        f"WITH numbered AS ({_bump(table)}) "
        + "%s".join(pieces)
        + f", {connection.ops.quote_name(meta.db_table)}.{reference}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [day, *params])
        case.pk, case.reference = cursor.fetchone()
    case._state.adding, case._state.db = False, DEFAULT_DB_ALIAS
