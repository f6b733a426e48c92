"""The database role docs/operations.md tells operators to run the app as: the statements of
deploy/postgres/grants.sql run as written; then, connected as that role, the audit trail can be read and
appended to, and nothing else."""

import os
from pathlib import Path

import psycopg
import psycopg.errors
import pytest
from django.db import connection

from backoffice.audit.services import audit_record

GRANTS = Path(__file__).resolve().parents[2] / "deploy" / "postgres" / "grants.sql"
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def documented_grants() -> list[str]:
    """deploy/postgres/grants.sql, which docs/operations.md has operators run with psql: its
    statements with psql's variables filled (the owner is the role these tests connect as)."""
    sql = GRANTS.read_text()
    sql = "\n".join(line for line in sql.splitlines() if not line.startswith(("--", "\\")))
    sql = sql.replace(':"app"', "backoffice_app").replace(':"owner"', conninfo()["user"])
    return [s.strip() for s in sql.split(";") if s.strip()]


def conninfo(**overrides) -> dict:
    db = connection.settings_dict
    info = {
        "host": db.get("HOST") or "127.0.0.1",
        "port": db.get("PORT") or 5432,
        "user": db.get("USER") or "postgres",
        "dbname": db["NAME"],
    }
    if db.get("PASSWORD"):
        info["password"] = db["PASSWORD"]
    return {**info, **overrides}


@pytest.fixture
def app_role():
    role = f"backoffice_app_test_{os.getpid()}"
    with psycopg.connect(**conninfo(), autocommit=True) as admin:
        admin.execute(f"DROP ROLE IF EXISTS {role}")
        admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'app-test-secret'")
        for statement in documented_grants():
            admin.execute(statement.replace("backoffice_app", role))
        try:
            yield role
        finally:
            admin.execute(f"DROP OWNED BY {role}")
            admin.execute(f"DROP ROLE {role}")
            admin.execute("GRANT ALL ON SCHEMA public TO PUBLIC")


def refused(app, sql: str, error: type, text: str) -> None:
    with pytest.raises(error) as excinfo, app.transaction():
        app.execute(sql)
    assert text in str(excinfo.value)


def test_the_app_role_reads_and_appends_the_trail_and_nothing_else(app_role):
    from django.db import transaction

    with transaction.atomic():
        audit_record(actor=None, action="test.write", object_type="t", object_id=1)
    with psycopg.connect(**conninfo(user=app_role, password="app-test-secret")) as app:
        assert app.execute("SELECT count(*) FROM backoffice_auditentry").fetchone() == (1,)
        with app.transaction(force_rollback=True):  # appending is allowed
            app.execute(
                "INSERT INTO backoffice_auditentry (seq, occurred_at, actor_label, action,"
                " object_type, object_id, payload, prev_hash, hash, key_id)"
                " VALUES (2, now(), '', 'x', 't', '1', '{}', 'p', 'h', '')"
            )
        denied = "permission denied for table backoffice_auditentry"
        for sql in (
            "UPDATE backoffice_auditentry SET action = 'forged'",
            "DELETE FROM backoffice_auditentry",
            "TRUNCATE backoffice_auditentry",
        ):
            refused(app, sql, psycopg.errors.InsufficientPrivilege, denied)
        refused(
            app,
            "ALTER TABLE backoffice_auditentry DISABLE TRIGGER ALL",
            psycopg.errors.InsufficientPrivilege,
            "must be owner of table backoffice_auditentry",
        )
        refused(
            app,
            "SET session_replication_role = replica",
            psycopg.errors.InsufficientPrivilege,
            'permission denied to set parameter "session_replication_role"',
        )
        # The rest of the product's tables are its to work with.
        with app.transaction(force_rollback=True):
            app.execute("UPDATE cases_case SET subject = subject")
            app.execute("DELETE FROM django_session")
    with psycopg.connect(**conninfo(), autocommit=True) as admin:
        assert admin.execute(
            "SELECT count(*), min(action) FROM backoffice_auditentry"
        ).fetchone() == (
            1,
            "test.write",
        )


def test_partitions_carry_their_tables_grants_for_the_app_role(app_role):
    """The audit trail's partitions (old rows, months ahead, DEFAULT) refuse the app role's UPDATE,
    DELETE and TRUNCATE as the trail does, once `partition_tables maintain` has run after the
    grants; the timeline's partitions and its id sequence stay writable."""
    from datetime import UTC, datetime

    from django.core.management import call_command

    from backoffice.partitions import SPECS, ensure_partitions, partitions

    call_command("partition_tables", "maintain")
    ensure_partitions(SPECS["auditentry"], now=datetime(2030, 5, 1, tzinfo=UTC), ahead=0)
    audit_parts = [p.name for p in partitions("backoffice_auditentry")]
    assert {"backoffice_auditentry_legacy", "backoffice_auditentry_default"} <= set(audit_parts)
    assert "backoffice_auditentry_p203005" in audit_parts
    with psycopg.connect(**conninfo(user=app_role, password="app-test-secret")) as app:
        for part in audit_parts:
            for sql in (
                f"UPDATE {part} SET action = 'x'",
                f"DELETE FROM {part}",
                f"TRUNCATE {part}",
            ):
                refused(app, sql, psycopg.errors.InsufficientPrivilege, "permission denied")
        with app.transaction(force_rollback=True):
            app.execute(
                "INSERT INTO backoffice_auditentry (seq, occurred_at, actor_label, action,"
                " object_type, object_id, payload, prev_hash, hash, key_id)"
                " VALUES (1, now(), '', 'x', 't', '1', '{}', 'p', 'h', '')"
            )
        case = open_case_row()
        with app.transaction(force_rollback=True):
            app.execute(
                "INSERT INTO cases_caseevent (case_id, type, payload, created_at)"
                " VALUES (%s, 'note', '{}', now())",
                [case],
            )
            app.execute("UPDATE cases_caseevent SET payload = '{}' WHERE case_id = %s", [case])


def open_case_row() -> int:
    from tests.support.factories import open_case

    return open_case().pk
