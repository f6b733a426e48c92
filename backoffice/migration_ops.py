"""Operations our migrations share."""

from django.db import migrations


class PostgreSQLOnly(migrations.RunSQL):
    """`RunSQL` that runs on PostgreSQL and does nothing elsewhere (the SQLite demo has no pg_trgm,
    no triggers of ours, no GIN indexes)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
