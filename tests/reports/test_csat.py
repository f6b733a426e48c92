"""Issue 25: the satisfaction (CSAT) report against a hand-built set of surveys. Every figure is
worked out by hand in the comments; the API, its CSV, the page and its XLSX give exactly these."""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from cases.models import Queue
from portal.models import Satisfaction
from tests.support.factories import open_case, staff

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
PERIOD = {"from": "2026-10-01", "to": "2026-10-31"}
FIELDS = ["group", "offered", "answered", "response_rate", "average_score", "csat", "low_scores"]


def sh(*args):
    return datetime(*args, tzinfo=SH)


# (queue, agent, category, root cause, offered, score)
SURVEYS = [
    ("recharge", "alice", "recharge_not_credited", "carrier_fault", sh(2026, 10, 5, 9), 5),  # 1
    ("recharge", "alice", "recharge_not_credited", "carrier_fault", sh(2026, 10, 6, 9), 4),  # 2
    ("recharge", "bob", "recharge_wrong_number", "user_error", sh(2026, 10, 7, 9), 1),  # 3
    ("recharge", "bob", "recharge_wrong_number", "user_error", sh(2026, 10, 8, 9), None),  # 4
    ("general", "alice", "other", "system_fault", sh(2026, 10, 9, 9), 3),  # 5
    ("general", None, "other", "", sh(2026, 10, 10, 9), 2),  # 6
    ("general", "bob", "other", "system_fault", sh(2026, 9, 30, 23, 59), 1),  # 7: before
    ("credit", "alice", "credit_limit_unusable", "system_fault", sh(2026, 11, 1, 0, 0), 5),  # 8
    ("recharge", "alice", "recharge_not_credited", "carrier_fault", sh(2026, 10, 31, 23, 59), 2),
]


def row(group, offered, answered, rate, average, csat, low):
    return dict(zip(FIELDS, [group, offered, answered, rate, average, csat, low], strict=True))


def none(group):
    return row(group, 0, 0, None, None, None, 0)


# In the period: 1–6 and 9 (7 is the evening before, 8 the midnight after, local time).
EXPECTED = {
    "queue": [
        none("credit"),
        none("escalation"),
        # 5 (3), 6 (2): 2 of 2 answered; mean 2.5; no 4–5; one ≤ 2
        row("general", 2, 2, 100.0, 2.5, 0.0, 1),
        # 1 (5), 2 (4), 3 (1), 4 (—), 9 (2): 4 of 5 = 80.0; 12 / 4 = 3.0; 2 / 4 = 50.0; two ≤ 2
        row("recharge", 5, 4, 80.0, 3.0, 50.0, 2),
        none("regulator"),
    ],
    "agent": [
        # 1 2 5 9: 5 4 3 2 → 14 / 4 = 3.5; 2 / 4 = 50.0; one ≤ 2
        row("alice", 4, 4, 100.0, 3.5, 50.0, 1),
        row("bob", 2, 1, 50.0, 1.0, 0.0, 1),  # 3 (1), 4 (—)
        row(None, 1, 1, 100.0, 2.0, 0.0, 1),  # 6: nobody was assigned
    ],
    "category": [
        row("recharge_wrong_number", 2, 1, 50.0, 1.0, 0.0, 1),
        none("recharge_wrong_carrier"),
        none("recharge_wrong_amount"),
        # 1 2 9: 5 4 2 → 11 / 3 = 3.67; 2 / 3 = 66.7
        row("recharge_not_credited", 3, 3, 100.0, 3.67, 66.7, 1),
        none("recharge_duplicate_charge"),
        none("credit_limit_unusable"),  # 8 is after the period
        row("other", 2, 2, 100.0, 2.5, 0.0, 1),
    ],
    "root_cause": [
        row("user_error", 2, 1, 50.0, 1.0, 0.0, 1),
        row("system_fault", 1, 1, 100.0, 3.0, 0.0, 0),  # 5 (7 is before the period)
        row("carrier_fault", 3, 3, 100.0, 3.67, 66.7, 1),
        none("risk_control_policy"),
        none("security_lock"),
        none("fraud"),
        none("network_environment"),
        none("product_defect"),
        none("unknown"),
        row("", 1, 1, 100.0, 2.0, 0.0, 1),  # 6: no root cause on the survey
    ],
}


@pytest.fixture
def surveys():
    people = {name: staff("agent", "recharge", username=name) for name in ("alice", "bob")}
    case = open_case(customer_id="U9001")
    queues = {q.code: q for q in Queue.objects.all()}
    for cycle, (queue, agent, category, cause, offered, score) in enumerate(SURVEYS, start=1):
        Satisfaction.objects.create(
            case=case,
            cycle=cycle,
            queue=queues[queue],
            agent=people.get(agent),
            category=category,
            root_cause=cause,
            offered_at=offered,
            score=score,
            answered_at=offered if score else None,
        )
    return people


@pytest.fixture
def api(surveys):
    client = APIClient()
    client.force_authenticate(staff("manager", username="boss"))
    return client


@pytest.mark.parametrize("group_by", list(EXPECTED))
def test_csat_matches_the_hand_computed_figures(api, group_by):
    response = api.get("/api/v1/reports/csat/", {**PERIOD, "group_by": group_by})
    assert response.status_code == 200, response.content
    assert response.json() == EXPECTED[group_by]


def test_csat_groups_by_queue_by_default(api):
    assert api.get("/api/v1/reports/csat/", PERIOD).json() == EXPECTED["queue"]


def _text(value) -> str:
    return "" if value is None else str(value)


def test_csat_as_csv(api):
    response = api.get("/api/v1/reports/csat/", {**PERIOD, "group_by": "agent", "format": "csv"})
    assert response.status_code == 200
    assert (
        response["Content-Disposition"] == 'attachment; filename="csat-2026-10-01-2026-10-31.csv"'
    )
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows == [FIELDS] + [[_text(r[f]) for f in FIELDS] for r in EXPECTED["agent"]]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"group_by": "priority"}, "group_by"),  # an SLA grouping, not a CSAT one
        ({"group_by": "nope"}, "group_by"),
        ({"from": "2026-13-01"}, "from"),
        ({"format": "xlsx"}, "format"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(api, query, field):
    response = api.get("/api/v1/reports/csat/", {**PERIOD, **query})
    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.parametrize("role", ["agent", "supervisor", "finance"])
def test_only_managers_read_the_csat_report(surveys, role):
    client = APIClient()
    client.force_authenticate(staff(role, "recharge", username=f"x-{role}"))
    assert client.get("/api/v1/reports/csat/", PERIOD).status_code == 403


def test_the_csat_page_shows_the_table_in_chinese(client, surveys):
    client.force_login(staff("manager", username="boss"))
    page = client.get(
        "/reports/csat/", {**PERIOD, "group_by": "queue"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "客户满意度" in text and "回复率 %" in text and "各组满意率 %" in text
    assert "80.0" in text and "50.0" in text


def test_the_csat_page_downloads_xlsx_with_the_totals(client, surveys):
    client.force_login(staff("manager", username="boss"))
    response = client.get("/reports/csat/", {**PERIOD, "group_by": "agent", "format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][1:] == [
        "Surveys offered",
        "Surveys answered",
        "Response rate %",
        "Average score",
        "CSAT % (4–5)",
        "Low scores",
    ]
    assert rows[1] == ["alice", 4, 4, 100.0, 3.5, 50.0, 1]
    assert rows[3] == ["Unassigned", 1, 1, 100.0, 2.0, 0.0, 1]
    # every answer of the period: 17 / 6 = 2.83; 2 / 6 = 33.3; 6 / 7 = 85.7
    assert rows[4] == ["Total", 7, 6, 85.7, 2.83, 33.3, 3]


def test_a_bad_page_parameter_is_a_400(client, surveys):
    client.force_login(staff("manager", username="boss"))
    assert client.get("/reports/csat/", {"group_by": "priority"}).status_code == 400
