"""`cases_search_grams(a, b)` calls the one-argument function by its schema's name.

A dump restored by `pg_restore` (the backup drill, `backup_check`) builds the indexes with an empty
`search_path`; the two-argument function of 0023 called `cases_search_grams(text)` unqualified, so
the restore failed on `case_search_grams`. The one-argument function uses built-ins only
(`pg_catalog`, always found). PostgreSQL only, like 0023."""

from django.db import migrations


def qualify(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE p.proname = 'cases_search_grams' AND p.pronargs = 1"
        )
        (schema,) = cursor.fetchone()
        name = schema_editor.quote_name(schema)
        cursor.execute(
            "CREATE OR REPLACE FUNCTION {0}.cases_search_grams(a text, b text) RETURNS tsvector "
            "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
            "AS $$ SELECT {0}.cases_search_grams(a || ' ' || b) $$".format(name)
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0024_relation_labels")]

    operations = [migrations.RunPython(qualify, migrations.RunPython.noop)]
