import json

import psycopg.errors
import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from backoffice.audit.chain import canonical_json, plain_hash
from backoffice.audit.checkpoints import checkpoint_path
from backoffice.audit.models import AppendOnlyError, AuditEntry
from backoffice.audit.services import GENESIS, audit_record, audit_verify
from tests.support.reachability import is_postgres


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


def refused_by_trigger(excinfo, trigger: str, operation: str) -> None:
    """The database refused with the trigger's own error: SQLSTATE 42501, its message."""
    assert isinstance(excinfo.value, DatabaseError)
    cause = excinfo.value.__cause__
    assert isinstance(cause, psycopg.errors.InsufficientPrivilege), repr(cause)
    assert cause.diag.message_primary.startswith(f"the audit trail is append-only ({operation}")
    assert f"function {trigger}()" in cause.diag.context


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sql", "operation", "trigger"),
    [
        (
            "UPDATE backoffice_auditentry SET action = 'forged'",
            "UPDATE",
            "backoffice_audit_append_only",
        ),
        ("DELETE FROM backoffice_auditentry", "DELETE", "backoffice_audit_append_only"),
        ("TRUNCATE backoffice_auditentry", "TRUNCATE", "backoffice_audit_no_truncate"),
        ("TRUNCATE backoffice_auditentry CASCADE", "TRUNCATE", "backoffice_audit_no_truncate"),
    ],
)
def test_postgres_triggers_refuse_sql_updates_deletes_and_truncate(sql, operation, trigger, capsys):
    write(3)
    before = list(AuditEntry.objects.values_list("seq", "action", "hash"))
    with connection.cursor() as cur:
        # The rows are committed in production; here, fire their deferred FK checks first, or
        # PostgreSQL refuses TRUNCATE for pending trigger events before asking the trigger.
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with (
        pytest.raises(DatabaseError) as excinfo,
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute(sql)
    refused_by_trigger(excinfo, trigger, operation)
    assert list(AuditEntry.objects.values_list("seq", "action", "hash")) == before
    call_command("verify_audit")
    assert "intact: 3 entries verified" in capsys.readouterr().out


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


def verify_fails(capsys) -> str:
    with pytest.raises(SystemExit) as exc:
        call_command("verify_audit")
    assert exc.value.code == 1
    return capsys.readouterr().err


def forge_append(*, key_id: str = "") -> None:
    """A writer without the key appends a row whose plain hash is computed correctly."""
    head = AuditEntry.objects.order_by("-seq").first()
    row = AuditEntry(
        seq=head.seq + 1,
        occurred_at=head.occurred_at,
        actor_label="system",
        action="refund.approve",
        object_type="refunds.refund",
        object_id="42",
        payload={"amount": "9000.00"},
        key_id=key_id,
    )
    from backoffice.audit.chain import entry_content

    digest = plain_hash(head.hash, entry_content(row))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO backoffice_auditentry (seq, occurred_at, actor_label, action, object_type,"
            " object_id, payload, prev_hash, hash, key_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s,"
            " %s, %s)",
            [
                row.seq,
                row.occurred_at,
                row.actor_label,
                row.action,
                row.object_type,
                row.object_id,
                canonical_json(row.payload),
                head.hash,
                digest,
                key_id,
            ],
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key_id", "reason"),
    [
        ("", "entry without a valid HMAC (plain hash after the chain was keyed)"),
        ("k1", "content does not match its hash (HMAC)"),
        ("k9", "signed with an unknown key id 'k9'"),
    ],
)
def test_a_forged_append_with_a_correct_plain_hash_fails(key_id, reason, capsys):
    write(3)
    forge_append(key_id=key_id)
    err = verify_fails(capsys)
    assert f"BROKEN at entry seq=4 (id={AuditEntry.objects.get(seq=4).pk}): {reason}" in err
    assert "3 entries before it verified" in err


@pytest.mark.django_db
def test_a_chain_of_plain_hashes_only_is_not_accepted(capsys):
    """An attacker who rebuilds the whole trail with plain hashes: nothing anchors it."""
    write(2)
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("DELETE FROM backoffice_auditentry")
    with transaction.atomic():
        entry = AuditEntry(seq=1, occurred_at=timezone_now(), action="x", object_type="t")
        from backoffice.audit.chain import entry_content

        entry.prev_hash, entry.object_id = GENESIS, "1"
        entry.hash = plain_hash(GENESIS, entry_content(entry))
        AuditEntry.objects.bulk_create([entry])
    err = verify_fails(capsys)
    assert "seq=1" in err and "entry without a valid HMAC (plain hash only)" in err


def timezone_now():
    from django.utils import timezone

    return timezone.now()


def checkpoints() -> list[dict]:
    return [json.loads(line) for line in checkpoint_path().read_text().splitlines()]


@pytest.fixture
def checkpoint_dir(settings, tmp_path):
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "audit"
    return settings.AUDIT_CHECKPOINT_DIR


@pytest.mark.postgres
@pytest.mark.django_db
def test_deleting_the_tail_is_named_against_the_checkpoint(checkpoint_dir, capsys):
    write(5)
    call_command("audit_checkpoint")
    ids = list(AuditEntry.objects.order_by("seq").values_list("pk", flat=True))
    [line] = checkpoints()
    assert (line["seq"], line["entry_id"]) == (5, ids[4])
    capsys.readouterr()
    # A superuser cuts the last two rows with the triggers off: the chain alone still links.
    tamper("DELETE FROM backoffice_auditentry WHERE seq > %s", [3])
    assert audit_verify() == (3, None)
    err = verify_fails(capsys)
    assert (
        f"audit chain TRUNCATED: entries seq=4..5 (2 entries, ids after {ids[2]} up to {ids[4]})"
        " are missing" in err
    )
    assert "the chain ends at seq=3" in err


@pytest.mark.django_db
def test_a_rewritten_head_is_named_against_the_checkpoint(checkpoint_dir, capsys):
    """Cut the tail and re-append with the key (an insider who has the key but not the file)."""
    write(3)
    call_command("audit_checkpoint")
    tamper("DELETE FROM backoffice_auditentry WHERE seq = %s", [3])
    write(1)
    capsys.readouterr()
    err = verify_fails(capsys)
    assert "audit chain REWRITTEN: entry seq=3 does not match the checkpoint" in err


@pytest.mark.django_db
def test_a_forged_checkpoint_line_is_refused(checkpoint_dir, capsys):
    write(3)
    call_command("audit_checkpoint")
    [line] = checkpoints()
    forged = {**line, "seq": 2}
    with checkpoint_path().open("a") as f:
        f.write(json.dumps(forged) + "\n")
    capsys.readouterr()
    err = verify_fails(capsys)
    assert "audit checkpoints FORGED: checkpoint line 2 does not verify" in err


@pytest.mark.django_db
def test_a_valid_chain_passes_against_its_checkpoints(checkpoint_dir, capsys):
    write(2)
    call_command("audit_checkpoint")
    write(2)  # entries after the checkpoint are fine
    call_command("audit_checkpoint")
    assert [c["seq"] for c in checkpoints()] == [2, 4]
    capsys.readouterr()
    call_command("verify_audit")
    out = capsys.readouterr().out
    assert "audit chain intact: 4 entries verified; head matches the checkpoint of" in out


@pytest.mark.django_db
def test_without_a_checkpoint_verify_warns_and_can_be_made_to_fail(checkpoint_dir, capsys):
    write(1)
    call_command("verify_audit")
    out, err = capsys.readouterr()
    assert "intact: 1 entries verified" in out
    assert "warning: no checkpoint to compare with: a cut tail cannot be detected" in err
    err = verify_fails_with(capsys, "--require-checkpoint")
    assert "audit chain UNANCHORED" in err


def verify_fails_with(capsys, *args) -> str:
    with pytest.raises(SystemExit) as exc:
        call_command("verify_audit", *args)
    assert exc.value.code == 1
    return capsys.readouterr().err


@pytest.mark.django_db
def test_verify_audit_passes_on_an_intact_chain(capsys):
    write(4)
    call_command("verify_audit")
    assert "intact: 4 entries verified" in capsys.readouterr().out


@pytest.mark.django_db
def test_the_legacy_prefix_is_anchored_by_the_keying_migration(capsys):
    """Entries written before the chain was keyed keep their plain hashes; the migration appends a
    keyed entry naming the boundary, after which plain hashes no longer verify."""
    import importlib

    from django.apps import apps

    from backoffice.audit.chain import entry_content

    migration = importlib.import_module("backoffice.migrations.0006_audit_keyed_chain")
    prev = GENESIS
    legacy = []
    for seq in (1, 2, 3):
        entry = AuditEntry(
            seq=seq, occurred_at=timezone_now(), action="old", object_type="t", object_id=str(seq)
        )
        entry.prev_hash, entry.hash = prev, plain_hash(prev, entry_content(entry))
        prev = entry.hash
        legacy.append(entry)
    AuditEntry.objects.bulk_create(legacy)

    migration.anchor_legacy_prefix(apps, connection.schema_editor())
    marker = AuditEntry.objects.get(seq=4)
    assert (marker.action, marker.key_id, marker.payload) == (
        "audit.chain_keyed",
        "k1",
        {"legacy_last_seq": 3, "legacy_head_hash": prev},
    )
    write(1)
    call_command("verify_audit")
    assert "intact: 5 entries verified" in capsys.readouterr().out

    # A legacy entry changed under the anchor breaks the plain link, as before.
    tamper("UPDATE backoffice_auditentry SET action = %s WHERE seq = 2", ["forged"])
    err = verify_fails(capsys)
    assert "BROKEN at entry seq=2" in err and "content does not match its hash" in err


@pytest.mark.django_db
def test_beat_checkpoints_the_head_hourly(checkpoint_dir, settings):
    from backoffice.tasks import audit_checkpoint

    entry = settings.CELERY_BEAT_SCHEDULE["audit-checkpoint"]
    assert (entry["task"], entry["schedule"]) == (audit_checkpoint.name, 3600.0)
    assert audit_checkpoint.name == "backoffice.audit_checkpoint"
    write(2)
    assert audit_checkpoint.apply().get() == 2
    [line] = checkpoints()
    assert (line["seq"], line["head_hash"]) == (2, AuditEntry.objects.get(seq=2).hash)
