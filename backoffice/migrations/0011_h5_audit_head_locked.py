"""`audit_chain_head_locked(key)`: the audit chain's lock and its head in one round trip.

A VOLATILE PL/pgSQL function takes a new snapshot for each of its statements under READ COMMITTED,
so the head it reads is the one committed after the lock was granted, as when the lock and the read
were two statements (`backoffice.audit.services._append`). PostgreSQL only; SQLite has no chain
lock to take.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION audit_chain_head_locked(lock_key bigint)
RETURNS TABLE (seq bigint, hash varchar) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    RETURN QUERY SELECT e.seq, e.hash::varchar FROM backoffice_auditentry e
        ORDER BY e.seq DESC LIMIT 1;
END
$$
"""
DROP = "DROP FUNCTION IF EXISTS audit_chain_head_locked(bigint)"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("backoffice", "0010_relation_labels")]

    operations = [migrations.RunPython(create, drop)]
