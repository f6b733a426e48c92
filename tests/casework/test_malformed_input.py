"""No input of any shape produces a 500 (spec/API.md, Errors), and a refused input changes nothing.

Every refusal is a 4xx with a JSON body that either names the bad fields (DRF's shape) or says
`{"detail", "code"}`.
"""

import copy
import json

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from backoffice.api.models import IdempotencyKey
from backoffice.audit.models import AuditEntry
from cases.models import Case, CaseEvent, CaseFlag, Customer, Message, RechargeOrder
from notifications.models import Notification
from refunds.models import Refund
from sla.models import SlaClock
from tests.support.factories import UserFactory, open_case

pytestmark = pytest.mark.django_db

COUNTED = (
    Case,
    CaseEvent,
    Message,
    AuditEntry,
    RechargeOrder,
    Customer,
    CaseFlag,
    SlaClock,
    Notification,
    Refund,
    IdempotencyKey,
)
VALID = {
    "channel": "app",
    "category": "recharge_not_credited",
    "subject": "充值50元未到账",
    "description": "Paid 50 yuan, nothing arrived.",
    "received_at": "2026-09-30T10:00:00+08:00",
    "customer": {
        "external_id": "U1001",
        "name": "张三",
        "phone": "+8613912345678",
        "email": "zhang@example.com",
    },
    "recharge_order": {
        "order_id": "R1",
        "phone": "+8613912345678",
        "intended_phone": "+8613912345679",
        "carrier": "china_mobile",
        "face_value": "50.00",
        "amount_paid": "50.00",
        "currency": "CNY",
        "status": "failed",
        "paid_at": "2026-09-30T09:50:00+08:00",
        "client_ip": "203.0.113.9",
    },
    "credit_account": {
        "limit": "5000.00",
        "available": "3200.00",
        "frozen": False,
        "overdue_days": 0,
        "recent_login_failures": 0,
    },
}
KB = 1024
NESTED = "[" * 10_000 + "]" * 10_000


@pytest.fixture(autouse=True)
def _no_throttle_carry_over():
    cache.clear()


@pytest.fixture
def client():
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    client.force_authenticate(UserFactory(username="root", is_superuser=True))
    return client


@pytest.fixture
def case():
    return open_case()


def state() -> dict:
    counts = {model.__name__: model.objects.count() for model in COUNTED}
    counts["cases"] = list(Case.objects.order_by("pk").values())
    return counts


def patched(path: str, value) -> dict:
    """VALID with the value at a dotted path replaced."""
    body = copy.deepcopy(VALID)
    *parents, leaf = path.split(".")
    target = body
    for name in parents:
        target = target[name]
    target[leaf] = value
    return body


def error_paths(errors, prefix="") -> set[str]:
    """The dotted paths a DRF error body names, each leaf a non-empty list of messages."""
    if isinstance(errors, list):
        assert errors, f"an empty message list at {prefix!r}"
        assert all(isinstance(message, str) and message for message in errors), errors
        return {prefix}
    assert isinstance(errors, dict), errors
    paths = set()
    for name, value in errors.items():
        paths |= error_paths(value, f"{prefix}.{name}" if prefix else name)
    return paths


def assert_refused(response, before, *, status=400, fields=None, code=None):
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/json", response.content[:500]
    body = response.json()
    if fields is not None:
        assert error_paths(body) == set(fields), body
    if code is not None:
        assert body == {"detail": body["detail"], "code": code}, body
        assert isinstance(body["detail"], str) and body["detail"]
    assert state() == before, "a refused request changed data"


def test_the_valid_body_is_accepted(client):
    response = client.post("/api/v1/cases/", VALID, format="json")

    assert response.status_code == 201, response.content[:500]
    assert Case.objects.count() == 1


# --- the intake body, one bad field at a time ----------------------------------------------------

BAD_FIELDS = [
    # (dotted path, value, the field the 400 names)
    ("customer", "x", "customer.non_field_errors"),
    ("customer", [], "customer.non_field_errors"),
    ("customer", 5, "customer.non_field_errors"),
    ("customer", None, "customer"),
    ("recharge_order", [], "recharge_order.non_field_errors"),
    ("recharge_order", "R1", "recharge_order.non_field_errors"),
    ("credit_account", "x", "credit_account.non_field_errors"),
    ("recharge_order.face_value", "abc", "recharge_order.face_value"),
    ("recharge_order.face_value", -1, "recharge_order.face_value"),
    ("recharge_order.face_value", "50.001", "recharge_order.face_value"),
    ("recharge_order.face_value", "1e400", "recharge_order.face_value"),
    ("recharge_order.face_value", 10**30, "recharge_order.face_value"),
    ("recharge_order.amount_paid", True, "recharge_order.amount_paid"),
    ("recharge_order.amount_paid", "NaN", "recharge_order.amount_paid"),
    ("recharge_order.amount_edits", 10**40, "recharge_order.amount_edits"),
    ("recharge_order.amount_edits", -1, "recharge_order.amount_edits"),
    ("recharge_order.phone", "123", "recharge_order.phone"),
    ("recharge_order.intended_phone", "not a phone", "recharge_order.intended_phone"),
    ("recharge_order.client_ip", "999.1.1.1", "recharge_order.client_ip"),
    ("recharge_order.paid_at", "2026-09-30T09:50:00", "recharge_order.paid_at"),
    ("recharge_order.carrier", "china_satellite", "recharge_order.carrier"),
    ("recharge_order.status", "refunded", "recharge_order.status"),
    ("recharge_order.currency", "USD", "recharge_order.currency"),
    ("recharge_order.order_id", "R\x001", "recharge_order.order_id"),
    ("recharge_order.order_id", "R" * 65, "recharge_order.order_id"),
    ("received_at", "yesterday", "received_at"),
    ("received_at", "2026-09-30T10:00:00", "received_at"),
    ("received_at", 12345, "received_at"),
    ("received_at", "2999-01-01T00:00:00+08:00", "received_at"),
    ("channel", "fax", "channel"),
    ("channel", None, "channel"),
    ("category", "complaint", "category"),
    ("category", ["other"], "category"),
    ("subject", True, "subject"),
    ("subject", ["x"], "subject"),
    ("subject", {"text": "x"}, "subject"),
    ("subject", "", "subject"),
    ("subject", "a\x00b", "subject"),
    ("subject", "x" * (100 * KB), "subject"),
    ("description", "a\x00b", "description"),
    ("description", "x" * (100 * KB), "description"),
    ("customer.external_id", "", "customer.external_id"),
    ("customer.external_id", "U\x001", "customer.external_id"),
    ("customer.name", "张\x00三", "customer.name"),
    ("customer.phone", "abc", "customer.phone"),
    ("customer.email", "nope", "customer.email"),
    ("customer.language", "fr", "customer.language"),
    ("credit_account.overdue_days", 10**30, "credit_account.overdue_days"),
    ("credit_account.overdue_days", "many", "credit_account.overdue_days"),
    ("credit_account.recent_login_failures", -1, "credit_account.recent_login_failures"),
    ("credit_account.frozen", "maybe", "credit_account.frozen"),
    ("credit_account.limit", "-5", "credit_account.limit"),
]


@pytest.mark.parametrize(
    ("path", "value", "field"),
    BAD_FIELDS,
    ids=[f"{path}={value!r:.30}" for path, value, _ in BAD_FIELDS],
)
def test_a_bad_intake_field_is_400_naming_it(client, path, value, field):
    before = state()

    response = client.post("/api/v1/cases/", patched(path, value), format="json")

    assert_refused(response, before, fields={field})


def test_a_naive_received_at_asks_for_an_offset(client):
    before = state()

    response = client.post(
        "/api/v1/cases/", patched("received_at", "2026-09-30T10:00:00"), format="json"
    )

    assert_refused(response, before, fields={"received_at"})
    assert response.json() == {
        "received_at": ["Give a time zone offset, e.g. 2026-09-30T10:00:00+08:00."]
    }


def test_an_implausibly_old_received_at_is_400_naming_it(client):
    before = state()

    response = client.post(
        "/api/v1/cases/", patched("received_at", "1899-06-01T10:00:00+08:00"), format="json"
    )

    assert_refused(response, before, fields={"received_at"})


# A UTC offset of ±16:00 or more is a valid Python datetime but not a PostgreSQL one (limit
# ±15:59); offsets beyond ±14:00 (the real-world range) are refused with the field named.
TOO_FAR = "2026-09-30T10:00:00+16:00"


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/cases/", patched("received_at", TOO_FAR), "received_at"),
        ("/api/v1/cases/", patched("recharge_order.paid_at", TOO_FAR), "recharge_order.paid_at"),
        ("/api/v1/recharge-orders/", {**VALID["recharge_order"], "paid_at": TOO_FAR}, "paid_at"),
    ],
    ids=["received_at", "intake-paid_at", "orders-paid_at"],
)
def test_an_out_of_range_offset_is_400_naming_the_field(client, url, body, field):
    before = state()

    response = client.post(url, body, format="json")

    assert_refused(response, before, fields={field})


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/cases/", "created_after"),
        ("/api/v1/cases/", "created_before"),
        ("/api/v1/cases/", "due_before"),
        ("/api/v1/refunds/", "created_after"),
    ],
)
def test_an_out_of_range_offset_in_a_filter_is_400_naming_it(client, case, url, field):
    response = client.get(url, {field: TOO_FAR})

    assert response.status_code == 400, response.content[:300]
    assert error_paths(response.json()) == {field}


def test_every_missing_field_is_named_at_once(client):
    before = state()

    response = client.post("/api/v1/cases/", {}, format="json")

    assert_refused(response, before, fields={"channel", "category", "subject", "customer"})


# --- bodies that are not a JSON object -----------------------------------------------------------

RAW_BODIES = [
    # (id, body, content type, status, field names or None, code or None)
    ("malformed", "{bad", "application/json", 400, None, "parse_error"),
    ("truncated", '{"channel": "app"', "application/json", 400, None, "parse_error"),
    ("two-objects", '{"a": 1}{"a": 1}', "application/json", 400, None, "parse_error"),
    ("nan", '{"channel": NaN}', "application/json", 400, None, "parse_error"),
    ("not-utf8", b"\xff\xfe{", "application/json", 400, None, "parse_error"),
    ("huge-int", "9" * 5000, "application/json", 400, None, "parse_error"),
    ("float-inf", json.dumps(VALID).replace('"50.00"', "1e400", 1), "application/json", 400,
     {"recharge_order.face_value"}, None),
    ("empty", "", "application/json", 400, {"channel", "category", "subject", "customer"}, None),
    ("list", "[]", "application/json", 400, {"non_field_errors"}, None),
    ("list-of-objects", json.dumps([VALID]), "application/json", 400, {"non_field_errors"}, None),
    ("number", "42", "application/json", 400, {"non_field_errors"}, None),
    ("string", '"text"', "application/json", 400, {"non_field_errors"}, None),
    ("null", "null", "application/json", 400, {"non_field_errors"}, None),
    ("true", "true", "application/json", 400, {"non_field_errors"}, None),
    ("text-plain", json.dumps(VALID), "text/plain", 415, None, "unsupported_media_type"),
    ("form", "channel=app", "application/x-www-form-urlencoded", 415, None,
     "unsupported_media_type"),
    ("oversized", json.dumps({**VALID, "description": "x" * (8 * KB * KB)}), "application/json",
     413, None, "request_too_large"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "content_type", "status", "fields", "code"),
    [row[1:] for row in RAW_BODIES],
    ids=[row[0] for row in RAW_BODIES],
)
def test_a_body_that_is_not_a_json_object_is_refused(
    client, body, content_type, status, fields, code
):
    before = state()

    response = client.post("/api/v1/cases/", body, content_type=content_type)

    assert_refused(response, before, status=status, fields=fields, code=code)


# A body nested thousands of levels deep makes json.load raise RecursionError, which DRF's
# JSONParser does not catch (backoffice/api/parsers.py does).
POST_ENDPOINTS = [
    "/api/v1/cases/",
    "/api/v1/cases/{reference}/assign/",
    "/api/v1/cases/{reference}/reply/",
    "/api/v1/cases/{reference}/messages/",
    "/api/v1/cases/{reference}/transition/",
    "/api/v1/cases/{reference}/extend/",
    "/api/v1/recharge-orders/",
    "/api/v1/refunds/",
    "/api/v1/auth/token/",
]


@pytest.mark.parametrize("url", POST_ENDPOINTS)
def test_deeply_nested_json_is_a_400(client, case, url):
    before = state()

    response = client.post(
        url.format(reference=case.reference), NESTED, content_type="application/json"
    )

    assert_refused(response, before, code="parse_error")


@pytest.mark.parametrize("depth", [100, 800])
def test_moderately_nested_json_names_the_field(client, depth):
    before = state()
    nested = "[" * depth + "]" * depth
    body = json.dumps(patched("customer.name", "@nested@")).replace('"@nested@"', nested)

    response = client.post("/api/v1/cases/", body, content_type="application/json")

    assert_refused(response, before, fields={"customer.name"})


# --- the actions ---------------------------------------------------------------------------------

BAD_ACTIONS = [
    # (action, body, the field the 400 names)
    ("transition", {"to": "archived"}, "to"),
    ("transition", {}, "to"),
    ("transition", {"to": None}, "to"),
    ("transition", {"to": "resolved"}, "root_cause"),
    ("transition", {"to": "resolved", "root_cause": "aliens"}, "root_cause"),
    ("transition", {"to": "in_progress", "note": "x" * 6000}, "note"),
    ("assign", {"assignee": "ghost"}, "assignee"),
    ("assign", {"assignee": ["x"]}, "assignee"),
    ("assign", {"assignee": "x" * 151}, "assignee"),
    ("extend", {}, "reason"),
    ("extend", {"reason": "   "}, "reason"),
    ("extend", {"reason": "x" * 1001}, "reason"),
    ("reply", {}, "body"),
    ("reply", {"body": "a\x00b"}, "body"),
    ("reply", {"body": "x" * (100 * KB)}, "body"),
    ("reply", {"body": "ok", "internal": "maybe"}, "internal"),
    ("messages", {"body": ""}, "body"),
    ("messages", {"body": "   "}, "body"),
]


@pytest.mark.parametrize(
    ("action", "body", "field"),
    BAD_ACTIONS,
    ids=[f"{action}-{json.dumps(body)[:40]}" for action, body, _ in BAD_ACTIONS],
)
def test_a_bad_action_body_is_400_naming_the_field(client, case, action, body, field):
    before = state()

    response = client.post(f"/api/v1/cases/{case.reference}/{action}/", body, format="json")

    assert_refused(response, before, fields={field})


ACTIONS = ["assign", "reply", "messages", "transition", "extend"]


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        ("{bad", "application/json", 400, "parse_error"),
        ('"text"', "application/json", 400, None),
        ("[]", "application/json", 400, None),
        ("body=hi", "text/plain", 415, "unsupported_media_type"),
    ],
    ids=["malformed", "string", "list", "text-plain"],
)
def test_an_action_body_that_is_not_an_object_is_refused(
    client, case, action, body, content_type, status, code
):
    before = state()

    response = client.post(
        f"/api/v1/cases/{case.reference}/{action}/", body, content_type=content_type
    )

    fields = None if code else {"non_field_errors"}
    assert_refused(response, before, status=status, fields=fields, code=code)


def test_recharge_orders_refuse_more_than_1000(client):
    before = state()
    order = VALID["recharge_order"]
    orders = [{**order, "order_id": f"R{i}"} for i in range(1001)]

    response = client.post("/api/v1/recharge-orders/", orders, format="json")

    assert_refused(response, before, fields={"non_field_errors"})


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ("null", {"non_field_errors"}),
        ('"R1"', {"non_field_errors"}),
        ("42", {"non_field_errors"}),
        ("{}", {"order_id", "phone", "face_value", "amount_paid", "status"}),
        ("[1]", {"0.non_field_errors"}),
        (
            json.dumps([VALID["recharge_order"], {**VALID["recharge_order"], "phone": "123"}]),
            {"1.phone"},
        ),
    ],
    ids=["null", "string", "number", "empty-object", "list-of-number", "one-bad-of-two"],
)
def test_bad_recharge_orders_are_refused_whole(client, body, fields):
    before = state()

    response = client.post("/api/v1/recharge-orders/", body, content_type="application/json")

    assert_refused(response, before, fields=fields)


# --- Idempotency-Key -----------------------------------------------------------------------------

IDEMPOTENT = [
    ("/api/v1/cases/", VALID),
    ("/api/v1/cases/{reference}/reply/", {"body": "We are on it."}),
    ("/api/v1/cases/{reference}/messages/", {"body": "Still nothing."}),
    ("/api/v1/recharge-orders/", VALID["recharge_order"]),
    (
        "/api/v1/refunds/",
        {"case": "{reference}", "amount": "10.00", "reason": "退款", "liability": "company"},
    ),
]


@pytest.mark.parametrize(("url", "body"), IDEMPOTENT, ids=[url for url, _ in IDEMPOTENT])
@pytest.mark.parametrize(
    "key", ["", "k" * 256, "k" * 300, "tab\tkey"], ids=["empty", "256", "300", "tab"]
)
def test_a_bad_idempotency_key_is_400_naming_it(client, case, url, body, key):
    before = state()

    body = {k: v.format(reference=case.reference) if k == "case" else v for k, v in body.items()}
    response = client.post(
        url.format(reference=case.reference), body, format="json", HTTP_IDEMPOTENCY_KEY=key
    )

    assert_refused(response, before, fields={"Idempotency-Key"})


# --- query strings, methods, unknown paths -------------------------------------------------------

BAD_QUERIES = [
    ("status=bogus", "status"),
    ("status=%00", "status"),
    ("queue=nope", "queue"),
    ("queue=%00", "queue"),
    ("category=%00", "category"),
    ("priority=p9", "priority"),
    ("flag=nope", "flag"),
    ("q=%00", "q"),
    ("q=" + "x" * 500, "q"),
    ("assignee=%00", "assignee"),
    ("created_after=yesterday", "created_after"),
    ("created_before=2026-13-45", "created_before"),
    ("due_before=%00", "due_before"),
]


@pytest.mark.parametrize(("query", "field"), BAD_QUERIES, ids=[q[:30] for q, _ in BAD_QUERIES])
def test_a_bad_filter_is_400_naming_it(client, case, query, field):
    before = state()

    response = client.get(f"/api/v1/cases/?{query}")

    assert_refused(response, before, fields={field})


def test_a_bad_boolean_filter_is_400_naming_it(client, case):
    response = client.get("/api/v1/cases/?breached=yes")

    assert response.status_code == 400, response.content[:300]
    assert error_paths(response.json()) == {"breached"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("ordering=subject", "ordering"),  # not one of the documented orderings
        ("ordering=%00", "ordering"),
        ("ordering=created_at,next_due_at", "ordering"),  # one ordering, as documented
        ("ordering=", "ordering"),
        ("page_size=abc", "page_size"),
        ("page_size=-1", "page_size"),
        ("page_size=0", "page_size"),
        ("cursor=garbage", "cursor"),
    ],
)
def test_a_bad_ordering_page_size_or_cursor_is_400_naming_it(client, case, query, field):
    """The schema documents them (an enum, an integer from 1, a cursor the list gave out): what
    it refuses, the API refuses, rather than quietly answering something else."""
    before = state()

    response = client.get(f"/api/v1/cases/?{query}")

    assert_refused(response, before, fields={field})


def test_a_page_size_above_the_maximum_gives_the_maximum(client, case):
    response = client.get("/api/v1/cases/?page_size=100000")

    assert response.status_code == 200
    assert [row["reference"] for row in response.json()["results"]] == [case.reference]


def test_an_empty_filter_filters_nothing(client, case):
    response = client.get("/api/v1/cases/?q=&created_after=&assignee=")

    assert response.status_code == 200
    assert [row["reference"] for row in response.json()["results"]] == [case.reference]


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("put", "/api/v1/cases/"),
        ("delete", "/api/v1/cases/{reference}/"),
        ("patch", "/api/v1/cases/{reference}/"),
        ("get", "/api/v1/cases/{reference}/assign/"),
        ("get", "/api/v1/recharge-orders/"),
        ("get", "/api/v1/auth/token/"),
    ],
)
def test_a_wrong_method_is_a_json_405(client, case, method, url):
    before = state()

    response = getattr(client, method)(url.format(reference=case.reference))

    assert_refused(response, before, status=405, code="method_not_allowed")


@pytest.mark.parametrize("url", ["/api/v1/cases/" + "A" * 30 + "/", "/api/v1/nope/"])
def test_an_unknown_api_path_is_a_json_404(client, url):
    response = client.get(url)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


# The schema's `maxLength` counts what is sent; DRF stripped first, then counted (issue 21, 9).
PADDED = [
    ("reply", {"body": "x" + " " * 20_000}, "body"),
    ("messages", {"body": "x" + " " * 20_000}, "body"),
    ("transition", {"to": "in_progress", "note": "x" + " " * 5_000}, "note"),
    (
        "transition",
        {"to": "resolved", "root_cause": "fraud", "customer_summary": "x" + " " * 1_000},
        "customer_summary",
    ),
    ("extend", {"reason": "x" + " " * 1_000}, "reason"),
]


@pytest.mark.parametrize(
    ("action", "body", "field"), PADDED, ids=[f"{a}-{f}" for a, _, f in PADDED]
)
def test_a_text_over_its_limit_only_by_spaces_is_400_naming_it(client, case, action, body, field):
    before = state()

    response = client.post(f"/api/v1/cases/{case.reference}/{action}/", body, format="json")

    assert_refused(response, before, fields={field})


def test_an_empty_repeatable_filter_filters_nothing(client, case):
    response = client.get("/api/v1/cases/?status=&queue=&category=&flag=&status=")

    assert response.status_code == 200, response.content
    assert [row["reference"] for row in response.json()["results"]] == [case.reference]
    response = client.get("/api/v1/cases/?status=&status=closed")
    assert (response.status_code, response.json()["results"]) == (200, [])


def test_the_schema_announces_the_empty_repeatable_filters(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/cases/"]["get"]["parameters"]}
    for name in ("status", "queue", "category", "channel", "priority", "flag"):
        assert parameters[name].get("allowEmptyValue") is True, name


@pytest.mark.parametrize(
    ("paid_at", "shown"),
    [
        ("0001-01-01T00:00:00+00:00", "0001-01-01T00:00:00Z"),  # Shanghai was +08:05:43 then
        ("1900-06-01T12:00:00+00:00", "1900-06-01T12:00:00Z"),
        ("2026-09-30T01:58:00+00:00", "2026-09-30T09:58:00+08:00"),
    ],
)
def test_an_output_time_never_has_an_offset_with_seconds(client, paid_at, shown):
    order = {**VALID["recharge_order"], "order_id": "R-old", "paid_at": paid_at}

    response = client.post("/api/v1/recharge-orders/", order, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["orders"][0]["paid_at"] == shown
