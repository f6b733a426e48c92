"""The report endpoints against the hand-built data set (tests/support/report_factories.py): every figure
below is worked out by hand in the table comments; the API must give exactly these rows."""

import csv
import io

import pytest
from rest_framework.test import APIClient

from tests.support.factories import UserFactory, staff
from tests.support.report_factories import PERIOD

pytestmark = pytest.mark.django_db

FIELDS = [
    "group",
    "cases",
    "met",
    "breached",
    "achievement",
    "first_response_median",
    "first_response_p90",
    "resolution_median",
    "resolution_p90",
    "open_backlog",
]
ZERO = (0, 0, 0, None, None, None, None, None)


def row(group, cases, met, breached, achievement, fr_median, fr_p90, res_median, res_p90, open_):
    values = [group, cases, met, breached, achievement, fr_median, fr_p90, res_median, res_p90]
    return dict(zip(FIELDS, [*values, open_], strict=True))


def empty(group, open_backlog=0):
    return row(group, *ZERO, open_backlog)


# Clocks stopped in October: 1 A FR 30 met, 2 B FR 180 met, 3 C FR 180 met, 4 D FR 540 breached,
# 5 F FR 4320 breached, 6 A RES 1140 met, 7 B RES 2570 met, 8 C RES 180 breached, 9 A REG met,
# 10 C REG met. p50/p90 = percentile_cont: the value at rank (n − 1) × p, interpolated.
EXPECTED = {
    "queue": [
        # C, D: met 3 10, breached 4 8 → 2/4 = 50.0; FR [180, 540] → 360, 180 + .9 × 360 = 504
        row("credit", 1, 2, 2, 50.0, 360.0, 504.0, 180.0, 180.0, 2),
        empty("escalation"),
        empty("general", 2),  # E, I open
        # A, B, F: met 1 2 6 7 9, breached 5 → 5/6 = 83.3; FR [30, 180, 4320] → 180,
        # 180 + .8 × 4140 = 3492; RES [1140, 2570] → 1855, 1140 + .9 × 1430 = 2427
        row("recharge", 2, 5, 1, 83.3, 180.0, 3492.0, 1855.0, 2427.0, 2),  # F, G open
        empty("regulator"),
    ],
    "category": [
        row("recharge_wrong_number", 1, 2, 0, 100.0, 180.0, 180.0, 2570.0, 2570.0, 0),
        empty("recharge_wrong_carrier"),
        empty("recharge_wrong_amount", 1),  # G
        # A, F: FR [30, 4320] → 2175, 30 + .9 × 4290 = 3891
        row("recharge_not_credited", 1, 3, 1, 75.0, 2175.0, 3891.0, 1140.0, 1140.0, 1),
        empty("recharge_duplicate_charge"),
        row("credit_limit_unusable", 1, 2, 2, 50.0, 360.0, 504.0, 180.0, 180.0, 2),
        empty("other", 2),
    ],
    "priority": [
        row("p1", 1, 3, 1, 75.0, 2175.0, 3891.0, 1140.0, 1140.0, 1),
        # B, C, D: 4/6 = 66.7; FR [180, 180, 540] → 180, 180 + .8 × 360 = 468;
        # RES [180, 2570] → 1375, 180 + .9 × 2390 = 2331
        row("p2", 2, 4, 2, 66.7, 180.0, 468.0, 1375.0, 2331.0, 2),
        empty("p3", 3),  # E, G, I
    ],
    "agent": [
        row("alice", 2, 5, 1, 83.3, 180.0, 3492.0, 1855.0, 2427.0, 2),  # A B F; F, I open
        row("bob", 0, 2, 1, 66.7, 180.0, 180.0, 180.0, 180.0, 2),  # C; E, H open
        row(None, 1, 0, 1, 0.0, 540.0, 540.0, None, None, 2),  # D; D, G open
    ],
    "channel": [
        # A C F (+ E I J K): 5/7 = 71.4; RES [180, 1140] → 660, 180 + .9 × 960 = 1044
        row("app", 1, 5, 2, 71.4, 180.0, 3492.0, 660.0, 1044.0, 3),
        row("hotline", 1, 2, 0, 100.0, 180.0, 180.0, 2570.0, 2570.0, 0),
        row("web", 1, 0, 1, 0.0, 540.0, 540.0, None, None, 2),
        empty("email", 1),
        empty("regulator"),
        empty("api"),
        empty("sms"),
    ],
}


@pytest.mark.parametrize("group_by", list(EXPECTED))
def test_sla_report_matches_the_hand_computed_figures(api, group_by):
    response = api.get("/api/v1/reports/sla/", {**PERIOD, "group_by": group_by})

    assert response.status_code == 200, response.content
    assert response.json() == EXPECTED[group_by]


def test_group_by_defaults_to_queue(api):
    response = api.get("/api/v1/reports/sla/", PERIOD)

    assert response.json() == EXPECTED["queue"]


def test_the_period_ends_at_local_midnight_after_to(api, data):
    """`to` is inclusive in Shanghai time: A received 10-12 09:00 local (01:00 UTC) is in a
    one-day period of 10-12 and not in one of 10-11."""
    day = api.get("/api/v1/reports/sla/", {"from": "2026-10-12", "to": "2026-10-12"}).json()
    before = api.get("/api/v1/reports/sla/", {"from": "2026-10-11", "to": "2026-10-11"}).json()

    recharge = next(r for r in day if r["group"] == "recharge")
    assert (recharge["cases"], recharge["met"], recharge["first_response_median"]) == (1, 1, 30.0)
    assert all(r["cases"] == 0 and r["met"] == 0 for r in before)


def parse_csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def as_text(value) -> str:
    return "" if value is None else str(value)


@pytest.mark.parametrize("group_by", list(EXPECTED))
def test_csv_gives_the_same_rows_as_json(api, group_by):
    query = {**PERIOD, "group_by": group_by}
    rows = api.get("/api/v1/reports/sla/", query).json()

    response = api.get("/api/v1/reports/sla/", {**query, "format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="sla-2026-10-01-2026-10-31.csv"'
    )
    assert parse_csv(response) == [FIELDS] + [[as_text(r[f]) for f in FIELDS] for r in rows]


def test_csv_escapes_formula_injection(api, data):
    data.people.alice.username = "=cmd|'/c calc'!A1"
    data.people.alice.save()

    response = api.get("/api/v1/reports/sla/", {**PERIOD, "group_by": "agent", "format": "csv"})

    assert [r[0] for r in parse_csv(response)] == ["group", "'=cmd|'/c calc'!A1", "bob", ""]


ROOT_CAUSES = [
    {"category": "recharge_wrong_number", "root_cause": "user_error", "count": 1},  # B
    {"category": "recharge_not_credited", "root_cause": "system_fault", "count": 2},  # A, J
    {"category": "credit_limit_unusable", "root_cause": "risk_control_policy", "count": 1},  # C
]


def test_root_causes_by_category_of_cases_resolved_in_the_period(api):
    """J was resolved 10-31 23:30 local (in), K 11-01 00:10 local (out)."""
    response = api.get("/api/v1/reports/root-causes/", PERIOD)

    assert response.status_code == 200
    assert response.json() == ROOT_CAUSES


def test_root_causes_as_csv(api):
    response = api.get("/api/v1/reports/root-causes/", {**PERIOD, "format": "csv"})

    assert parse_csv(response) == [["category", "root_cause", "count"]] + [
        [r["category"], r["root_cause"], str(r["count"])] for r in ROOT_CAUSES
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-13-01"}, "from"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-02-30"}, "to"),
        ({"to": "1999-12-31"}, "to"),
        ({"to": "9999-12-31"}, "to"),
        ({"group_by": "team"}, "group_by"),
        ({"format": "xml"}, "format"),
        ({"format": "xlsx"}, "format"),
        ({"from": "2026-10-02", "to": "2026-10-01"}, "from"),
        ({"from": "2025-01-01", "to": "2026-01-02"}, "to"),  # 367 days
        ({"to": ""}, "to"),  # given empty: not a date (the pages' form takes it as the default)
        ({"group_by": ""}, "group_by"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(api, query, field):
    response = api.get("/api/v1/reports/sla/", query)

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert response["Content-Type"] == "application/json"


def test_366_days_is_the_longest_range(api):
    response = api.get("/api/v1/reports/sla/", {"from": "2024-01-01", "to": "2024-12-31"})

    assert response.status_code == 200


def test_every_bad_parameter_is_named_at_once(api):
    response = api.get(
        "/api/v1/reports/sla/", {"from": "x", "to": "y", "group_by": "z", "format": "w"}
    )

    assert response.status_code == 400
    assert set(response.json()) == {"from", "to", "group_by", "format"}


def test_root_causes_ignore_group_by(api):
    response = api.get("/api/v1/reports/root-causes/", {**PERIOD, "group_by": "team"})

    assert response.json() == ROOT_CAUSES


ROUTES = ["/api/v1/reports/sla/", "/api/v1/reports/root-causes/"]


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("manager", 200),
        ("superuser", 200),
        ("agent", 403),
        ("supervisor", 403),
        ("finance", 403),
        ("intake", 403),
        ("anonymous", 401),
    ],
)
def test_only_managers_read_reports(path, role, expected):
    client = APIClient()
    if role == "superuser":
        client.force_authenticate(UserFactory(username="root", is_superuser=True))
    elif role != "anonymous":
        client.force_authenticate(staff(role, username=f"{role}-1"))

    response = client.get(path, {**PERIOD, "format": "xml"} if expected != 200 else PERIOD)

    assert response.status_code == expected  # a refusal comes before the parameters are read
    if expected != 200:
        assert response.json()["code"] in {"not_authenticated", "permission_denied"}


def test_a_bare_request_covers_this_month(api):
    """No parameters: the current month up to today (frozen at 2026-11-20)."""
    bare = api.get("/api/v1/reports/sla/").json()
    explicit = api.get("/api/v1/reports/sla/", {"from": "2026-11-01", "to": "2026-11-20"}).json()

    assert bare == explicit
    general = next(r for r in bare if r["group"] == "general")
    assert (general["cases"], general["met"], general["first_response_median"]) == (2, 1, 60.0)
