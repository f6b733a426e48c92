"""Writes of many rows in one statement, where Django's own form costs more than the rows."""

from django.db import connections, router
from django.db.models import Model


def rows_update(objs: list[Model], fields: list[str]) -> None:
    """Write `fields` of every object in `objs` (all of one model, all saved) in one statement.

    Django's `bulk_update` builds a `CASE WHEN pk = … THEN …` per field per row, which costs about
    2 ms of Python per row of 7 fields. On PostgreSQL this is one `UPDATE … FROM unnest(arrays)`
    with one array parameter per column; elsewhere it falls back to `bulk_update`. Like
    `bulk_update`, it sends no signals and sets no `auto_now` fields.
    """
    if not objs:
        return
    model = type(objs[0])
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objs, fields)
        return
    meta = model._meta
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    qn = connection.ops.quote_name
    names = ", ".join(qn(field.column) for field in columns)
    arrays = ", ".join(f"%s::{field.cast_db_type(connection)}[]" for field in columns)
    sets = ", ".join(f"{qn(field.column)} = v.{qn(field.column)}" for field in columns[1:])
    pk = qn(meta.pk.column)
    # Only the model's own table and column names, quoted, go into the text; values are params.
    sql = (
        f"UPDATE {qn(meta.db_table)} AS t SET {sets} "  # noqa: S608
        f"FROM unnest({arrays}) AS v({names}) WHERE t.{pk} = v.{pk}"
    )
    params = [
        [field.get_db_prep_save(getattr(obj, field.attname), connection) for obj in objs]
        for field in columns
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
