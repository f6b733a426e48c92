import pytest
from django.core.management import call_command
from django.db import connection, transaction

from backoffice.audit.models import AppendOnlyError, AuditEntry
from backoffice.audit.services import GENESIS, audit_record, audit_verify
from tests.services import is_postgres


def write(n):
    with transaction.atomic():
        for i in range(n):
            audit_record(
                actor=None,
                action="test.write",
                object_type="t",
                object_id=i,
                payload={"i": i, "amount": "50.00"},
            )


@pytest.mark.django_db
def test_each_entry_links_to_the_previous_one():
    write(3)
    entries = list(AuditEntry.objects.order_by("seq"))
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == GENESIS
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    assert audit_verify() == (3, None)


@pytest.mark.django_db(transaction=True)
def test_audit_must_be_written_inside_a_transaction():
    with pytest.raises(RuntimeError):
        audit_record(actor=None, action="x", object_type="t", object_id=1)


@pytest.mark.django_db
def test_orm_refuses_updates_and_deletes():
    write(1)
    entry = AuditEntry.objects.get()
    entry.action = "forged"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.update(action="forged")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get().action == "test.write"


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_trigger_refuses_sql_updates_and_deletes():
    write(1)
    for sql in (
        "UPDATE backoffice_auditentry SET action = 'forged'",
        "DELETE FROM backoffice_auditentry",
    ):
        with (
            pytest.raises(Exception, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cur,
        ):
            cur.execute(sql)
    assert AuditEntry.objects.get().action == "test.write"


def tamper(sql, params):
    """What an attacker with superuser rights would do: switch triggers off, then edit."""
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if is_postgres():
            cursor.execute("SET LOCAL session_replication_role = origin")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("UPDATE backoffice_auditentry SET payload = %s WHERE seq = 3", "content does not match"),
        ("UPDATE backoffice_auditentry SET action = %s WHERE seq = 3", "content does not match"),
        ("DELETE FROM backoffice_auditentry WHERE seq = 3 AND %s = %s", "sequence gap"),
    ],
)
def test_verify_audit_names_the_first_tampered_row(sql, reason, capsys):
    write(5)
    params = ['{"i": 99}'] if "payload" in sql else ["forged"] if "action" in sql else [1, 1]
    tamper(sql, params)
    with pytest.raises(SystemExit) as exc:
        call_command("verify_audit")
    assert exc.value.code == 1
    err = capsys.readouterr().err
    expected_seq = 4 if "DELETE" in sql else 3
    assert f"seq={expected_seq}" in err
    assert reason in err


@pytest.mark.django_db
def test_verify_audit_passes_on_an_intact_chain(capsys):
    write(4)
    call_command("verify_audit")
    assert "intact: 4 entries verified" in capsys.readouterr().out
