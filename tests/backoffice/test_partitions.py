"""Monthly partitions of the timeline and the audit trail (backoffice/partitions.py).

The test database is migrated, so both tables start partitioned (the migration converts small
tables). A conversion test first makes its table plain again (`unpartition`, the migration's
reverse), fills it, converts it with the command and leaves it partitioned.
"""

import threading
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from freezegun import freeze_time
from rest_framework.test import APIClient

from backoffice.audit.models import AuditEntry
from backoffice.partition_convert import unpartition
from backoffice.partitions import (
    SPECS,
    PartitionError,
    ensure_partitions,
    is_partitioned,
    maintain,
    month_start,
    partition_name,
    partitions,
)
from cases.models import CaseEvent
from casework.services.conversation import case_reply
from tests.support.factories import open_case, staff

EVENTS = SPECS["caseevent"]
AUDIT = SPECS["auditentry"]


def where(event_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM cases_caseevent WHERE id = %s", [event_id]
        )
        return cursor.fetchone()[0]


def move(event_id: int, when: datetime) -> None:
    CaseEvent.objects.filter(pk=event_id).update(created_at=when)


def rows(model) -> list[tuple]:
    fields = [f.attname for f in model._meta.concrete_fields]
    return list(model.objects.order_by("pk").values_list(*fields))


def verify_audit() -> str:
    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def convert(key: str) -> str:
    out = StringIO()
    call_command("partition_tables", "convert", "--table", key, stdout=out)
    return out.getvalue()


@pytest.fixture
def agent():
    return staff("agent", "recharge", "credit", "general", username="agent")


@pytest.fixture
def plain_tables():
    """Both tables plain for the test; partitioned again afterwards, whatever happened."""
    unpartition(EVENTS)
    unpartition(AUDIT)
    assert not is_partitioned("cases_caseevent") and not is_partitioned("backoffice_auditentry")
    yield
    for key in ("caseevent", "auditentry"):
        if not is_partitioned(SPECS[key].table):
            convert(key)


def test_no_foreign_key_points_into_the_partitioned_tables(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text FROM pg_constraint WHERE contype = 'f' "
            "AND confrelid IN ('cases_caseevent'::regclass, 'backoffice_auditentry'::regclass)"
        )
        assert cursor.fetchall() == []
    assert is_partitioned("cases_caseevent") and is_partitioned("backoffice_auditentry")


@pytest.mark.django_db(transaction=True)
def test_converting_a_filled_table_keeps_every_row_and_id_and_the_timeline(plain_tables, agent):
    cases = [open_case(), open_case(customer_id="U2", order=None), open_case(order=None)]
    events = list(CaseEvent.objects.order_by("pk").values_list("pk", flat=True))
    move(events[0], datetime(2024, 2, 29, 23, 0, tzinfo=UTC))
    move(events[1], datetime(2025, 7, 1, tzinfo=UTC))
    before_events, before_audit = rows(CaseEvent), rows(AuditEntry)

    out = convert("caseevent")
    convert("auditentry")

    assert "cases_caseevent: partitioned" in out
    assert is_partitioned("cases_caseevent") and is_partitioned("backoffice_auditentry")
    assert rows(CaseEvent) == before_events
    assert rows(AuditEntry) == before_audit
    assert {where(pk) for pk in events} == {"cases_caseevent_legacy"}
    assert "audit chain intact" in verify_audit()

    # The ids go on from the old sequence; the timeline page and API read across partitions.
    reply = case_reply(actor=agent, case=cases[0], body="已为您处理")
    latest = CaseEvent.objects.filter(case=cases[0]).latest("id")
    assert latest.pk > max(events) and reply.pk
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(agent)
    timeline = client.get(f"/api/v1/cases/{cases[0].reference}/").json()["timeline"]
    expected = CaseEvent.objects.filter(case=cases[0]).order_by("created_at", "id")
    assert [e["id"] for e in timeline] == list(expected.values_list("pk", flat=True))
    assert [e["type"] for e in timeline][:2] == ["opened", "routed"]
    assert timeline[-1]["id"] == latest.pk
    client.force_login(agent)
    assert client.get(f"/cases/{cases[0].reference}/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_inserts_after_conversion_go_to_their_month(plain_tables, agent):
    case = open_case()
    convert("caseevent")
    convert("auditentry")
    legacy, *months = [p for p in partitions("cases_caseevent") if not p.default]
    assert legacy.name == "cases_caseevent_legacy" and legacy.lower is None
    first = months[0]
    assert first.lower == legacy.upper
    before = set(CaseEvent.objects.values_list("pk", flat=True))
    with freeze_time(first.lower):
        case_reply(actor=agent, case=case, body="下个月的回复")
    new = set(CaseEvent.objects.values_list("pk", flat=True)) - before
    assert new and min(new) > max(before)
    assert {where(pk) for pk in new} == {partition_name("cases_caseevent", first.lower)}
    assert {where(pk) for pk in before} == {legacy.name}


def test_month_bounds_are_shanghai_midnights_and_the_default_catches_the_rest(db):
    ensure_partitions(EVENTS, now=datetime(2027, 6, 15, tzinfo=UTC), ahead=1)
    case = open_case()
    a, b, c = CaseEvent.objects.filter(case=case).order_by("pk")[:3]
    # 1 July 00:00 in Shanghai is 30 June 16:00 UTC.
    move(a.pk, datetime(2027, 6, 30, 15, 59, 59, 999999, tzinfo=UTC))
    move(b.pk, datetime(2027, 6, 30, 16, 0, tzinfo=UTC))
    move(c.pk, datetime(2031, 1, 1, tzinfo=UTC))
    assert where(a.pk) == "cases_caseevent_p202706"
    assert where(b.pk) == "cases_caseevent_p202707"
    assert where(c.pk) == "cases_caseevent_default"
    assert month_start(datetime(2027, 6, 30, 16, 0, tzinfo=UTC)).isoformat() == (
        "2027-07-01T00:00:00+08:00"
    )
    # A month whose rows already sit in the default partition is refused, naming it; nothing made.
    names = {p.name for p in partitions("cases_caseevent")}
    with pytest.raises(PartitionError, match="cases_caseevent_p203101"):
        ensure_partitions(EVENTS, now=datetime(2031, 1, 10, tzinfo=UTC), ahead=0)
    assert {p.name for p in partitions("cases_caseevent")} == names
    assert where(c.pk) == "cases_caseevent_default"
    # Maintenance goes on past it: the later months and the audit trail's are made; it is reported.
    done = maintain(now=datetime(2031, 1, 10, tzinfo=UTC))
    assert done["caseevent"]["created"] == ["cases_caseevent_p203102", "cases_caseevent_p203103"]
    assert "cases_caseevent_p203101" in done["caseevent"]["errors"][0]
    assert "backoffice_auditentry_p203101" in done["auditentry"]["created"]
    assert where(c.pk) == "cases_caseevent_default"


def test_retention_detaches_old_months_and_leaves_the_rest_and_the_audit_trail(db, settings):
    settings.TIMELINE_RETENTION_MONTHS = 12
    ensure_partitions(EVENTS, now=datetime(2028, 1, 15, tzinfo=UTC), ahead=2)
    ensure_partitions(AUDIT, now=datetime(2028, 1, 15, tzinfo=UTC), ahead=2)
    case = open_case()
    old, kept, *_rest = CaseEvent.objects.filter(case=case).order_by("pk")
    move(old.pk, datetime(2028, 1, 20, tzinfo=UTC))
    move(kept.pk, datetime(2028, 3, 20, tzinfo=UTC))
    audit_before = rows(AuditEntry)

    with connection.cursor() as cursor:  # the test's own inserts: no FK checks left pending
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    done = maintain(now=datetime(2029, 3, 15, tzinfo=UTC))

    detached = done["caseevent"]["detached"]
    assert {"cases_caseevent_p202801", "cases_caseevent_p202802"} <= set(detached)
    assert "cases_caseevent_legacy" in detached  # every row before December 2026 (conversion)
    assert "cases_caseevent_p202803" not in detached
    assert done["auditentry"]["detached"] == []
    assert list(CaseEvent.objects.filter(case=case).values_list("pk", flat=True)) == [kept.pk]
    assert where(kept.pk) == "cases_caseevent_p202803"
    assert "cases_caseevent_p202903" in done["caseevent"]["created"]
    assert rows(AuditEntry) == audit_before
    assert "audit chain intact" in verify_audit()
    with connection.cursor() as cursor:  # dropped, not only detached
        cursor.execute("SELECT to_regclass('cases_caseevent_p202801')")
        assert cursor.fetchone()[0] is None


def test_retention_can_keep_the_detached_table_out_of_queries(db, settings):
    settings.TIMELINE_RETENTION_MONTHS = 12
    ensure_partitions(EVENTS, now=datetime(2028, 1, 15, tzinfo=UTC), ahead=0)
    case = open_case()
    old = CaseEvent.objects.filter(case=case).order_by("pk").first()
    move(old.pk, datetime(2028, 1, 20, tzinfo=UTC))
    out = StringIO()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with freeze_time(datetime(2029, 6, 1, tzinfo=UTC)):
        call_command("partition_tables", "maintain", "--keep", stdout=out)
    assert "cases_caseevent_p202801" in out.getvalue()
    assert not CaseEvent.objects.filter(pk=old.pk).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_caseevent_p202801 WHERE id = %s", [old.pk])
        assert cursor.fetchone()[0] == 1


@pytest.mark.django_db(transaction=True)
def test_the_audit_trail_converts_and_stays_append_only_and_chained(plain_tables, agent):
    open_case()
    count = AuditEntry.objects.count()
    assert count > 0
    convert("auditentry")
    open_case(customer_id="U2", order=None)
    assert AuditEntry.objects.count() > count
    seqs = list(AuditEntry.objects.values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert "audit chain intact" in verify_audit()
    partition = "backoffice_auditentry_legacy"
    for sql in (
        f"UPDATE {partition} SET action = 'x'",
        "DELETE FROM backoffice_auditentry",
        f"TRUNCATE {partition}",
        "TRUNCATE backoffice_auditentry",
    ):
        with pytest.raises(Exception, match="append-only"), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEntry.objects.count() == len(seqs)


@pytest.mark.django_db(transaction=True)
def test_inserts_while_converting_are_all_kept(plain_tables):
    case = open_case()
    for i in range(300):
        CaseEvent.objects.create(case=case, type="note", payload={"n": i})
    stop, inserted, errors = threading.Event(), [], []

    def writer():
        try:
            while not stop.is_set():
                inserted.append(CaseEvent.objects.create(case=case, type="note", payload={}).pk)
        except Exception as exc:  # collected for the assertion
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(inserted) < 20:
            threading.Event().wait(0.01)
        convert("caseevent")
        after = len(inserted)
        while len(inserted) < after + 20 and thread.is_alive():
            threading.Event().wait(0.01)
    finally:
        stop.set()
        thread.join(30)
    assert errors == []
    assert is_partitioned("cases_caseevent")
    assert len(inserted) > after
    stored = set(CaseEvent.objects.filter(pk__in=inserted).values_list("pk", flat=True))
    assert stored == set(inserted)
    assert len(set(inserted)) == len(inserted)


def test_the_beat_task_makes_the_coming_months(db):
    from backoffice.tasks import partition_maintenance

    with freeze_time(datetime(2029, 5, 10, tzinfo=UTC)):
        done = partition_maintenance()
    assert done["caseevent"]["created"] == [
        "cases_caseevent_p202905",
        "cases_caseevent_p202906",
        "cases_caseevent_p202907",
    ]
    assert done["auditentry"]["created"][0] == "backoffice_auditentry_p202905"
    assert done["caseevent"]["detached"] == [] and done["caseevent"]["errors"] == []


def test_the_beat_task_under_a_role_that_owns_nothing_changes_nothing(db, caplog):
    from backoffice.tasks import partition_maintenance

    names = {p.name for p in partitions("cases_caseevent")}
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE h2_owns_nothing")
        cursor.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO h2_owns_nothing")
        cursor.execute("SET ROLE h2_owns_nothing")
    try:
        with freeze_time(datetime(2029, 5, 10, tzinfo=UTC)):
            assert partition_maintenance() == {}
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert "needs the owner role" in caplog.text
    assert {p.name for p in partitions("cases_caseevent")} == names
