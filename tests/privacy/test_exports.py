"""Exports: masked unless a role that may asks for full values (audited); every export logged
with its filter and row count."""

import csv
import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from backoffice.audit.models import AuditEntry
from privacy.models import ExportRecord
from tests.matrix.test_permission_matrix import client_for as api_client_for
from tests.matrix.test_permission_matrix import make_user
from tests.privacy.support import EMAIL, FULL, MASKED, NAME, PHONE, customer_case

pytestmark = pytest.mark.django_db

URL = "/cases/export/"


def browser(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def csv_rows(response) -> list[dict]:
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def cases():
    """Two cases in `recharge` (the supervisor's queue), one in `general` (not theirs)."""
    return [
        customer_case("U1001"),
        customer_case("U1002"),
        customer_case("U1003", phone="+8613800000003"),
    ]


def move_to_general(case):
    from cases.models import Queue

    case.queue = Queue.objects.get(code="general")
    case.save(update_fields=["queue"])


def test_supervisor_export_is_masked_scoped_and_logged(cases):
    move_to_general(cases[2])
    supervisor = make_user("supervisor")
    response = browser(supervisor).get(URL, {"format": "csv", "q": "+8613912345678"})
    assert response.status_code == 200
    rows = csv_rows(response)
    assert sorted(r["Reference"] for r in rows) == sorted(c.reference for c in cases[:2])
    for row in rows:
        assert (row["Name"], row["Phone"], row["E-mail"]) == (
            MASKED["name"],
            "'" + MASKED["phone"],  # a leading + is neutralised against formulas
            MASKED["email"],
        )
    body = response.content.decode("utf-8-sig")
    assert PHONE not in body and EMAIL not in body and NAME not in body
    record = ExportRecord.objects.get()
    assert (record.who, record.what, record.row_count, record.full, record.format) == (
        supervisor,
        "cases",
        2,
        False,
        "csv",
    )
    assert record.params == {"q": MASKED["phone"]}  # the searched number masked in the log too
    assert not AuditEntry.objects.filter(action="privacy.export_full").exists()


def test_manager_asks_for_full_values_which_is_audited(cases):
    manager = make_user("manager")
    response = browser(manager).get(URL, {"format": "xlsx", "full": "1", "status": "new"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    header, rows = values[0], values[1:]
    record = ExportRecord.objects.get()
    assert len(rows) == record.row_count == 3
    assert (record.full, record.format, record.params) == (True, "xlsx", {"status": "new"})
    named = dict(zip(header, rows[-1], strict=True))  # newest first: U1001 last
    assert (named["Customer id"], named["Name"], named["Phone"], named["E-mail"]) == (
        "U1001",
        FULL["name"],
        "'" + FULL["phone"],
        FULL["email"],
    )
    audit = AuditEntry.objects.get(action="privacy.export_full")
    assert audit.payload["rows"] == record.row_count
    assert PHONE not in str(audit.payload)


def test_manager_without_full_gets_masked_values(cases):
    response = browser(make_user("manager")).get(URL)
    rows = csv_rows(response)
    assert len(rows) == 3
    assert {r["Phone"] for r in rows} == {"'" + MASKED["phone"], "'+86 138****0003"}
    assert ExportRecord.objects.get().full is False


@pytest.mark.parametrize(
    ("role", "params", "status"),
    [
        ("supervisor", {"full": "1"}, 403),
        ("finance", {"full": "1"}, 403),
        ("agent", {}, 403),
        ("intake", {}, 403),
        ("manager", {"format": "pdf"}, 400),
        ("manager", {"full": "yes"}, 400),
        ("manager", {"priority": "p9"}, 400),
    ],
)
def test_refused_exports_log_nothing(cases, role, params, status):
    response = browser(make_user(role)).get(URL, params)
    assert response.status_code == status
    if status == 400:
        assert next(iter(params)) in response.content.decode()  # the field named
    assert PHONE not in response.content.decode()
    assert ExportRecord.objects.count() == 0
    assert not AuditEntry.objects.filter(action="privacy.export_full").exists()


def test_case_list_offers_the_export_and_full_only_to_managers(cases):
    supervisor_page = browser(make_user("supervisor")).get("/cases/").content.decode()
    assert 'action="/cases/export/"' in supervisor_page
    assert 'name="full"' not in supervisor_page
    manager_page = browser(make_user("manager")).get("/cases/").content.decode()
    assert 'name="full"' in manager_page


def test_report_exports_are_logged(cases):
    manager = make_user("manager")
    page = browser(manager).get("/reports/", {"format": "csv"})
    assert page.status_code == 200
    api = api_client_for(manager).get("/api/v1/reports/root-causes/", {"format": "csv"})
    assert api.status_code == 200
    records = list(ExportRecord.objects.order_by("id"))
    assert [(r.what, r.format, r.full) for r in records] == [
        ("reports.sla", "csv", False),
        ("reports.api.root-causes", "csv", False),
    ]
    assert records[0].row_count == len(csv_rows(page))
    assert records[1].row_count == len(csv_rows(api))


def test_the_regulators_statistics_downloads_are_logged(cases):
    manager = make_user("manager")
    page = browser(manager).get("/reports/regulatory/", {"format": "csv", "period": "2026-11"})
    api = api_client_for(manager).get(
        "/api/v1/reports/regulatory/", {"format": "xlsx", "period": "2026-Q4"}
    )
    assert (page.status_code, api.status_code) == (200, 200)
    records = list(ExportRecord.objects.order_by("id"))
    assert [(r.what, r.format, r.full, r.params) for r in records] == [
        ("reports.regulatory", "csv", False, {"period": "2026-11"}),
        ("reports.api.regulatory", "xlsx", False, {"period": "2026-Q4"}),
    ]
    assert records[0].row_count == len(csv_rows(page)) and records[1].row_count > 0
