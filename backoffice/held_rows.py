"""New rows held to the end of a block and inserted there in one statement per model.

`insert_rows(objs)` inserts at once, outside `rows_held()`. Inside it (on PostgreSQL), each object
gets its primary key at once, from a block of the table's own sequence reserved with one
statement, and is held; when the block ends without an exception the held rows are inserted with
one `bulk_create` per model (foreign keys are checked at commit: Django's are `DEFERRABLE
INITIALLY DEFERRED`). A writer can thus name a row's id (in an event's payload) that many others
will be inserted with, later, together. Nothing in the block may read held rows back from the
database. Nested blocks join the outer one.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connection
from django.db.models import Model

RESERVE = 1024  # ids taken from a table's sequence at a time (the unused ones are a gap)

_held: ContextVar[dict | None] = ContextVar("held_rows", default=None)


def _reserve(model: type[Model], count: int) -> Iterator[int]:
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [connection.ops.quote_name(meta.db_table), meta.pk.column, count],
        )
        return iter([row[0] for row in cursor.fetchall()])


def _next_id(held: dict, model: type[Model]) -> int:
    pool = held["ids"].get(model)
    value = next(pool, None) if pool is not None else None
    if value is None:
        pool = held["ids"][model] = _reserve(model, RESERVE)
        value = next(pool)
    return value


def insert_rows(objs: list[Model]) -> list[Model]:
    """Insert `objs` (new, all of one model): now, or inside `rows_held` with their ids set now
    and the INSERT at the block's end. Returns them."""
    held = _held.get()
    if not objs:
        return objs
    if held is None:
        return type(objs[0]).objects.bulk_create(objs)
    model = type(objs[0])
    for obj in objs:
        obj.pk = _next_id(held, model)
        obj._state.adding, obj._state.db = False, "default"
    held["rows"].setdefault(model, []).extend(objs)
    return objs


def _write(held: dict) -> None:
    rows_by_model, held["rows"] = held["rows"], {}
    for model, rows in rows_by_model.items():
        for obj in rows:
            obj._state.adding = True
        model.objects.bulk_create(rows)
        for obj in rows:
            obj._state.adding = False


def held_rows_flush() -> None:
    """Insert the rows held so far now (the block goes on holding): for a writer that is about to
    read rows of other cases that may be held (the risk feed's burst rule reads their flags and
    clocks)."""
    held = _held.get()
    if held is not None:
        _write(held)


@contextmanager
def rows_held():
    """Hold the rows `insert_rows` gets inside the block (PostgreSQL only; elsewhere they are
    inserted at once) and insert them, one statement per model, when it ends."""
    if _held.get() is not None or connection.vendor != "postgresql":
        yield
        return
    held: dict = {"ids": {}, "rows": {}}
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
    _write(held)
