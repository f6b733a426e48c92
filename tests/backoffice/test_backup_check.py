"""The backup drill (`manage.py backup_check`): a dump restored into a scratch database is proven
complete, table by table, with its audit chain intact; a copy that differs fails with exit code 1."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from backoffice.audit.models import AuditEntry
from backoffice.management.commands import backup_check
from tests.support.factories import open_case

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def scratch_databases() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", ["%restore_check%"])
        return [row[0] for row in cursor.fetchall()]


def test_the_drill_restores_a_complete_copy_and_drops_it(capsys, tmp_path):
    open_case()
    assert AuditEntry.objects.count() > 0

    call_command("backup_check", "--keep", str(tmp_path))

    out = capsys.readouterr().out
    assert "backup drill passed: the copy is complete" in out
    entries = AuditEntry.objects.count()
    assert f"audit chain of the copy: audit chain intact: {entries} entries verified" in out
    assert [p.suffix for p in tmp_path.iterdir()] == [".dump"]
    assert scratch_databases() == []


def test_a_copy_that_differs_fails_and_names_it(monkeypatch):
    open_case()
    real = backup_check._count
    calls = []

    def count(cursor, tables):
        calls.append(1)
        counts = real(cursor, tables)
        if len(calls) == 2:  # the copy's counts
            counts["cases_case"] -= 1
        return counts

    monkeypatch.setattr(backup_check, "_count", count)

    with pytest.raises(CommandError) as exc:
        call_command("backup_check")

    assert exc.value.returncode == 1
    assert "cases_case: 1 rows in the snapshot, 0 in the copy" in str(exc.value)
    assert scratch_databases() == []
