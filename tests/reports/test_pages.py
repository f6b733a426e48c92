"""The manager report pages: who may open them, what their tables hold (hand-computed, see
tests/support/report_factories.py), their CSV/XLSX downloads, and no inline script or style (CSP)."""

import csv
import io
import re

import pytest
from django.test import Client
from openpyxl import load_workbook

from tests.support.factories import UserFactory, staff
from tests.support.report_factories import PERIOD

pytestmark = pytest.mark.django_db

PAGES = [
    "/reports/",
    "/reports/breaches/",
    "/reports/ageing/",
    "/reports/root-causes/",
    "/reports/refunds/",
    "/reports/deadlines/",
    "/reports/csat/",
]
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)


@pytest.fixture
def browser(data):
    """The data set's manager, reading English (the source strings)."""
    client = Client(headers={"accept-language": "en"})
    client.force_login(data.people.manager)
    return client


def download(browser, path, **query) -> list[list[str]]:
    response = browser.get(path, {**query, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


# --- access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_users_go_to_the_login_page(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("role", ["agent", "supervisor", "finance", "intake"])
def test_other_roles_are_refused(db, path, role):
    client = Client()
    client.force_login(staff(role, username=f"{role}-1"))

    assert client.get(path).status_code == 403
    assert client.get(path, {"format": "csv"}).status_code == 403


@pytest.mark.parametrize("path", PAGES)
def test_superusers_may_read(db, path):
    client = Client()
    client.force_login(UserFactory(username="root", is_superuser=True))

    assert client.get(path).status_code == 200


# --- pages ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_pages_render_without_inline_script_or_style(browser, path, language):
    response = browser.get(path, PERIOD, headers={"accept-language": language})

    assert response.status_code == 200
    html = response.content.decode()
    assert "style=" not in html
    assert "<style" not in html
    for attributes in SCRIPT_TAG.findall(html):
        assert "src=" in attributes or 'type="application/json"' in attributes, attributes
    assert 'href="/reports/breaches/"' in html  # the report tabs


def test_sla_page_shows_the_table_and_the_chart_data(browser):
    response = browser.get("/reports/", {**PERIOD, "group_by": "queue"})

    html = response.content.decode()
    assert '<canvas id="chart-sla" class="report-chart" data-chart="chart-sla-data"' in html
    assert '<script id="chart-sla-data" type="application/json">' in html
    chart = response.context["chart"]
    assert chart["labels"] == [
        "额度问题 Credit limit (credit)",
        "充值差错 Top-up errors (recharge)",
    ]
    assert chart["datasets"][0]["data"] == [50.0, 83.3]
    row = re.search(
        r"<tr><th scope=\"row\">充值差错 Top-up errors \(recharge\)</th>(.*?)</tr>", html
    )
    cells = re.findall(r"<td class=\"num\">([^<]*)</td>", row.group(1))
    assert cells == ["2", "5", "1", "83.3", "180.0", "3,492.0", "1,855.0", "2,427.0", "2"]


def test_sla_download_holds_the_rows_and_the_totals(browser):
    rows = download(browser, "/reports/", **PERIOD, group_by="agent")

    assert rows == [
        [
            "Agent",
            "Cases received",
            "Met",
            "Breached",
            "Achievement %",
            "First response median (business min)",
            "First response P90 (business min)",
            "Resolution median (business min)",
            "Resolution P90 (business min)",
            "Open backlog",
        ],
        ["alice", "2", "5", "1", "83.3", "180.0", "3492.0", "1855.0", "2427.0", "2"],
        ["bob", "0", "2", "1", "66.7", "180.0", "180.0", "180.0", "180.0", "2"],
        ["Unassigned", "1", "0", "1", "0.0", "540.0", "540.0", "", "", "2"],
        ["Total", "3", "7", "3", "70.0", "", "", "", "", "6"],
    ]


def test_breaches_of_the_period_latest_first(browser, data):
    rows = download(browser, "/reports/breaches/", **PERIOD)

    assert rows[0] == [
        "Case",
        "Subject",
        "Metric",
        "Due",
        "Breached at",
        "Stopped",
        "Assignee",
        "Queue",
    ]
    # F's first response breached in September (out), though it stopped in October; F's
    # resolution breached in October and still runs (in).
    assert [r[:6] for r in rows[1:]] == [
        [data.ref("D"), "充值50元未到账", "First response", "2026-10-20 15:00:00",
         "2026-10-20 15:00:00", "2026-10-21 11:00:00"],
        [data.ref("F"), "充值50元未到账", "Resolution", "2026-10-09 18:00:00",
         "2026-10-09 18:00:00", ""],
        [data.ref("C"), "充值50元未到账", "Resolution", "2026-10-08 09:30:00",
         "2026-10-08 09:30:00", "2026-10-08 10:00:00"],
    ]  # fmt: skip
    assert [r[6:] for r in rows[1:]] == [
        ["Unassigned", "额度问题 Credit limit"],
        ["alice", "充值差错 Top-up errors"],
        ["bob", "额度问题 Credit limit"],
    ]
    page = browser.get("/reports/breaches/", PERIOD).content.decode()
    assert f'<a class="ref" href="/cases/{data.ref("D")}/">{data.ref("D")}</a>' in page


def test_ageing_by_working_days_open(browser):
    """Today is Friday 11-20. G 11-19 → 1 (0–1); I 11-17 → 3 (2–3); H Monday 11-16 → 4 (4–7);
    E Monday 11-02 → 14 (8–15); D 10-20 → 23 and F 09-20 (16+)."""
    rows = download(browser, "/reports/ageing/", group_by="queue")

    assert rows == [
        [
            "Queue",
            "0–1 working days",
            "2–3 working days",
            "4–7 working days",
            "8–15 working days",
            "16+ working days",
            "Total",
        ],
        ["额度问题 Credit limit (credit)", "0", "0", "1", "0", "1", "2"],
        ["升级处理 Escalations (escalation)", "0", "0", "0", "0", "0", "0"],
        ["综合投诉 General (general)", "0", "1", "0", "1", "0", "2"],
        ["充值差错 Top-up errors (recharge)", "1", "0", "0", "0", "1", "2"],
        ["监管转办 Regulator referrals (regulator)", "0", "0", "0", "0", "0", "0"],
        ["Total", "1", "1", "1", "1", "2", "6"],
    ]


def test_root_causes_page(browser):
    rows = download(browser, "/reports/root-causes/", **PERIOD)

    assert rows == [
        ["Category", "Root cause", "Cases"],
        ["Top-up to the wrong number", "Customer error", "1"],
        ["Top-up paid but not credited", "System fault", "2"],
        ["Credit limit shown but unusable", "Risk-control policy", "1"],
        ["Total", "", "4"],
    ]


def test_refunds_by_status_and_liability(browser):
    """A 50.00 + F 20.50 paid by the company, B 30.00 rejected; G (11-01 01:00 local) is out."""
    rows = download(browser, "/reports/refunds/", **PERIOD)

    assert rows == [
        ["Status", "Liability", "Currency", "Refunds", "Amount"],
        ["Rejected", "Customer", "CNY", "1", "30.00"],
        ["Paid", "Company", "CNY", "2", "70.50"],
    ]


def test_regulatory_deadlines_within_three_days(browser, data):
    """Now 11-20 10:00: D due 11-21 12:00 and H 11-23 09:00 are in; I 11-23 11:00 is not."""
    rows = download(browser, "/reports/deadlines/")

    assert [r[0] for r in rows[1:]] == [data.ref("D"), data.ref("H")]
    assert [r[2] for r in rows[1:]] == ["2026-11-21 12:00:00", "2026-11-23 09:00:00"]


def test_empty_filters_take_their_defaults(browser):
    response = browser.get("/reports/", {"from": "", "to": "", "group_by": "", "format": ""})

    assert response.status_code == 200
    assert response.context["params"].group_by == "queue"
    assert str(response.context["params"].period.start) == "2026-11-01"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "2026-10-31", "to": "2026-10-01"}, "“from” must not be after “to”."),
        ({"group_by": "team"}, "Select a valid choice."),
        ({"format": "pdf"}, "Select a valid choice."),
    ],
)
def test_bad_filters_are_shown_with_a_400(browser, query, message):
    response = browser.get("/reports/", query)

    assert response.status_code == 400
    assert message in response.content.decode()


# --- downloads ------------------------------------------------------------------------------------

HOSTILE = {
    "D": '=HYPERLINK("http://evil.example","x")',
    "F": "+1+cmd|' /C calc'!A0",
    "C": "-2+3",
    "H": "@SUM(1+1)",
}


@pytest.fixture
def hostile(db, now):
    from tests.support.report_factories import hand_built

    data = hand_built(**HOSTILE)
    client = Client(headers={"accept-language": "en"})
    client.force_login(data.people.manager)
    return client


def test_csv_neutralises_formulas_in_customer_text(hostile):
    client = hostile

    breaches = download(client, "/reports/breaches/", **PERIOD)
    deadlines = download(client, "/reports/deadlines/")

    assert [r[1] for r in breaches[1:]] == ["'" + HOSTILE[k] for k in ("D", "F", "C")]
    assert [r[1] for r in deadlines[1:]] == ["'" + HOSTILE[k] for k in ("D", "H")]


def test_xlsx_neutralises_formulas_and_keeps_numbers(hostile):
    client = hostile

    response = client.get("/reports/breaches/", {**PERIOD, "format": "xlsx"})

    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"] == (
        'attachment; filename="breaches-2026-10-01-2026-10-31.xlsx"'
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert values[0][:3] == ("Case", "Subject", "Metric")
    assert [v[1] for v in values[1:]] == ["'" + HOSTILE[k] for k in ("D", "F", "C")]
    assert all(sheet.cell(row=r, column=2).data_type == "s" for r in range(2, 5))

    sla = load_workbook(io.BytesIO(client.get("/reports/", {**PERIOD, "format": "xlsx"}).content))
    row = next(r for r in sla.active.values if r[0] == "充值差错 Top-up errors (recharge)")
    assert row[1:] == (2, 5, 1, 83.3, 180.0, 3492.0, 1855.0, 2427.0, 2)


def test_tab_and_carriage_return_starts_are_neutralised():
    from reports.export import csv_cell, neutralise, xlsx_cell

    for text in ("\tx", "\rx", "=1", "+1", "-1", "@x"):
        assert neutralise(text) == "'" + text
        assert csv_cell(text) == "'" + text
        assert xlsx_cell(text) == "'" + text
    assert neutralise("退款 -1") == "退款 -1"
    assert csv_cell(-1) == "-1"  # a number is no formula
    assert xlsx_cell(-1) == -1


@pytest.mark.parametrize("path", PAGES)
def test_queries_do_not_grow_with_the_rows(browser, data, path):
    """Every page costs the same number of queries with three breaches as with thirteen."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sla.models import SlaClock

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(path, PERIOD).status_code == 200
        return len(captured)

    before = count()
    template = SlaClock.objects.filter(breached_at__isnull=False).first()
    for cycle in range(2, 12):
        template.pk, template.cycle = None, cycle
        template.save()
    assert count() == before
