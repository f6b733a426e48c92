"""A few rows of another table read with the row that owns them, as one JSON column of its
statement (PostgreSQL), and turned back into model instances.

A page that shows one object and a handful of its children (a case's risk flags and SLA clocks)
pays for each child table a statement of its own: its SQL compiled by the ORM, a round trip, the
prefetch machinery. Read instead as `JSONB_AGG(JSONB_BUILD_OBJECT(...))` in a subquery of the
owner's statement, they cost a subquery; `instances` makes the same model instances a plain read
would (every concrete column, converted by its field as a fixture's value is), marked as loaded
from the database, with the rows of a forward foreign key (`nested`) attached as `select_related`
would."""

from django.contrib.postgres.aggregates import JSONBAgg
from django.db import DEFAULT_DB_ALIAS
from django.db.models import F, JSONField, Model, OuterRef, QuerySet, Subquery
from django.db.models.functions import JSONObject


def _columns(model, prefix: str = "") -> dict:
    return {f.attname: F(prefix + f.attname) for f in model._meta.concrete_fields}


def rows_subquery(
    rows: QuerySet, *, owner: str, order_by: tuple[str, ...], nested: tuple[str, ...] = ()
) -> Subquery:
    """The rows of `rows` whose `owner` column is the outer row's primary key, in `order_by`
    order, as a JSON array (NULL when there are none); each row an object of its columns, with
    the row of each foreign key in `nested` under that key's name."""
    model = rows.model
    values = _columns(model)
    for name in nested:
        values[name] = JSONObject(
            **_columns(model._meta.get_field(name).related_model, name + "__")
        )
    return Subquery(
        rows.filter(**{owner: OuterRef("pk")})
        .order_by()
        .values(owner)
        .annotate(rows=JSONBAgg(JSONObject(**values), order_by=order_by))
        .values("rows"),
        output_field=JSONField(),
    )


def instance(model: type[Model], values: dict) -> Model:
    """A model instance from one row of `rows_subquery` (without its nested rows)."""
    fields = model._meta.concrete_fields
    return model.from_db(
        DEFAULT_DB_ALIAS,
        [f.attname for f in fields],
        [f.to_python(values[f.attname]) for f in fields],
    )


def instances(model: type[Model], rows: list | None, *, nested: tuple[str, ...] = ()) -> list:
    """The model instances of a `rows_subquery` value, in its order."""
    found = []
    for values in rows or ():
        row = instance(model, values)
        for name in nested:
            related = model._meta.get_field(name)
            if values.get(name) and values[name].get(related.target_field.attname) is not None:
                related.set_cached_value(row, instance(related.related_model, values[name]))
        found.append(row)
    return found
