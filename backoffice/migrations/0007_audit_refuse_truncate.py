"""Refuse TRUNCATE on the audit trail, beside the trigger that refuses UPDATE and DELETE (0003).

A row trigger never fires on TRUNCATE; this statement trigger does. The error names the trigger and
uses SQLSTATE 42501 (insufficient_privilege), like the UPDATE/DELETE one.
"""

from django.db import migrations

TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION backoffice_audit_no_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only (% refused by backoffice_audit_no_truncate)',
        TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER backoffice_audit_no_truncate
    BEFORE TRUNCATE ON backoffice_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION backoffice_audit_no_truncate();
"""
DROP_SQL = """
DROP TRIGGER IF EXISTS backoffice_audit_no_truncate ON backoffice_auditentry;
DROP FUNCTION IF EXISTS backoffice_audit_no_truncate();
"""


def add_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0006_audit_keyed_chain"),
    ]

    operations = [migrations.RunPython(add_trigger, drop_trigger)]
