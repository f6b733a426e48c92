"""A few rows of another table read with the row that owns them, as one JSON column of its
statement (PostgreSQL), and turned back into model instances.

A page that shows one object and a handful of its children (a case's risk flags and SLA clocks)
pays for each child table a statement of its own: its SQL compiled by the ORM, a round trip, the
prefetch machinery. Read instead as `JSONB_AGG(TO_JSONB(row))` in a subquery of the owner's
statement, they cost an index probe. The subquery's SQL is written once per process from the
models' metadata (the ORM's `JSONObject` compiles a cast per column on every use, which cost more
than the statement it saved); `instances` makes the same model instances a plain read would
(every concrete column, converted by its field as a fixture's value is), marked as loaded from the
database, with the row of a forward foreign key (`nested`) attached as `select_related` would."""

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import JSONField, Model
from django.db.models.expressions import RawSQL


def rows_subquery(
    model: type[Model],
    *,
    owner: type[Model],
    by: str,
    order_by: tuple[str, ...] = (),
    null: tuple[str, ...] = (),
    not_null: tuple[str, ...] = (),
    nested: tuple[str, ...] = (),
    many: bool = True,
) -> RawSQL:
    """The rows of `model` whose foreign key `by` is the outer row's (an `owner`, the query's
    base table) primary key, whose `null` fields are NULL and `not_null` fields are not, in
    `order_by` order, as a JSON array of objects keyed by column (NULL when there are none; with
    `many` false, the one row's object); with each forward foreign key of `nested`, the row it
    points at under that key's name."""
    qn = connection.ops.quote_name
    meta = model._meta

    def column(name: str) -> str:
        return "r." + qn(meta.get_field(name).column)

    row = "TO_JSONB(r)"
    joins = ""
    if nested:
        pairs = []
        for number, name in enumerate(nested):
            key = meta.get_field(name)
            alias = f"n{number}"
            pairs.append(f"'{name}', TO_JSONB({alias})")
            joins += (
                f" LEFT JOIN {qn(key.related_model._meta.db_table)} {alias}"
                f" ON {alias}.{qn(key.target_field.column)} = r.{qn(key.column)}"
            )
        row = f"TO_JSONB(r) || JSONB_BUILD_OBJECT({', '.join(pairs)})"
    conditions = [f"{column(by)} = {qn(owner._meta.db_table)}.{qn(owner._meta.pk.column)}"]
    conditions += [f"{column(name)} IS NULL" for name in null]
    conditions += [f"{column(name)} IS NOT NULL" for name in not_null]
    order = ", ".join(column(name) for name in order_by)
    if many:
        select = f"JSONB_AGG({row} ORDER BY {order})" if order else f"JSONB_AGG({row})"
        limit = ""
    else:
        select = row
        limit = f" ORDER BY {order} LIMIT 1" if order else " LIMIT 1"
    # Only quoted names from the models' metadata go into the text; it takes no values.
    return RawSQL(  # noqa: S611
        f"SELECT {select} FROM {qn(meta.db_table)} r{joins}"  # noqa: S608 - names only
        f" WHERE {' AND '.join(conditions)}{limit}",
        (),
        output_field=JSONField(),
    )


def instance(model: type[Model], values: dict) -> Model:
    """A model instance from one row of `rows_subquery` (without its nested row)."""
    fields = model._meta.concrete_fields
    return model.from_db(
        DEFAULT_DB_ALIAS,
        [f.attname for f in fields],
        [f.to_python(values[f.column]) for f in fields],
    )


def loaded(model: type[Model], values: dict, *, nested: tuple[str, ...] = ()) -> Model:
    """The model instance of one row of `rows_subquery`, with its nested rows."""
    row = instance(model, values)
    for name in nested:
        key = model._meta.get_field(name)
        target = values.get(name)
        key.set_cached_value(
            row, instance(key.related_model, target) if target is not None else None
        )
    return row


def instances(model: type[Model], rows: list | None, *, nested: tuple[str, ...] = ()) -> list:
    """The model instances of a `rows_subquery` value, in its order."""
    return [loaded(model, values, nested=nested) for values in rows or ()]
