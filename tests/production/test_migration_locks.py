"""`manage.py migration_locks` (run by deploy/release.sh before `migrate`): an unapplied migration that
locks a big table is refused unless the operator says so; a fresh database and an up-to-date one pass."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

pytestmark = pytest.mark.django_db


def unapply_from(app: str, name: str) -> list[str]:
    """As if the database were releases behind: `name` and every later migration of the app
    unapplied (their rows gone, their tables as they are). Returns the names unapplied."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM django_migrations WHERE app = %s AND name >= %s RETURNING name",
            [app, name],
        )
        return sorted(row[0] for row in cursor.fetchall())


def run(**options) -> str:
    out = StringIO()
    call_command("migration_locks", stdout=out, **options)
    return out.getvalue()


def test_an_up_to_date_database_passes():
    assert run() == "No migrations to apply.\n"


def test_adding_a_column_and_filling_it_on_the_cases_table_is_refused(monkeypatch):
    monkeypatch.delenv("ALLOW_LOCKING_MIGRATIONS", raising=False)
    behind = unapply_from("cases", "0016_case_breached")
    out = StringIO()
    with pytest.raises(CommandError, match=r"would lock a big table.*ALLOW_LOCKING_MIGRATIONS=1"):
        call_command("migration_locks", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == f"{len(behind)} migration(s) to apply."
    breached = [line for line in lines[1:] if "cases.0016_case_breached" in line]
    assert breached and breached[0].startswith(
        '  locks a big table: cases.0016_case_breached: ALTER TABLE "cases_case"'
    )


def test_a_plain_index_on_the_refunds_table_is_refused_and_the_flag_allows_it(monkeypatch):
    unapply_from("refunds", "0004_refund_pending_oldest")
    monkeypatch.delenv("ALLOW_LOCKING_MIGRATIONS", raising=False)
    with pytest.raises(CommandError):
        run()
    monkeypatch.setenv("ALLOW_LOCKING_MIGRATIONS", "1")
    out = run()
    assert 'refunds.0004_refund_pending_oldest: CREATE INDEX "' in out
    assert 'ON "refunds_refund"' in out


def test_a_fresh_database_passes_because_no_table_exists_yet(monkeypatch):
    monkeypatch.delenv("ALLOW_LOCKING_MIGRATIONS", raising=False)
    monkeypatch.setattr(connection.introspection, "table_names", lambda *a, **k: [])
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations")
    out = run()
    assert out.splitlines()[0].endswith("migration(s) to apply.")
    assert "locks a big table" not in out
