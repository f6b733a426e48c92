"""`POST /api/v1/cases/bulk/` (issue 27): roles, shape, limits, idempotency, all or nothing."""

import json

import pytest
from django.test import override_settings

from backoffice.api.models import IdempotencyKey
from backoffice.audit.models import AuditEntry
from cases.models import Case, CaseEvent, Incident
from notifications.models import Notification
from tests.casework.test_cases_api import client_for, intake_body
from tests.support.factories import staff

pytestmark = pytest.mark.django_db
URL = "/api/v1/cases/bulk/"


def bodies(n: int) -> list[dict]:
    items = []
    for i in range(n):
        body = intake_body(
            customer={"external_id": f"B{i}", "name": "客户", "phone": "+8613912345678"}
        )
        body["recharge_order"] = {
            **body["recharge_order"],
            "order_id": f"BR{i}",
            "client_ip": f"198.51.100.{i + 1}",
        }
        items.append(body)
    return items


@pytest.fixture
def intake():
    return staff("intake", username="app")


def post(user, data, **extra):
    return client_for(user).post(URL, data, format="json", **extra)


def nothing_written(audit_before: int = 0) -> bool:
    return (
        Case.objects.count() == CaseEvent.objects.count() == Notification.objects.count() == 0
        and AuditEntry.objects.count() == audit_before
    )


def test_opens_every_complaint_in_input_order_in_the_single_create_shape(intake):
    response = post(intake, {"cases": bodies(3)})
    assert response.status_code == 201, response.json()
    created = response.json()
    single = client_for(intake).post(
        "/api/v1/cases/",
        intake_body(customer={"external_id": "S1", "phone": "+8613912345678"},
                    recharge_order={**intake_body()["recharge_order"], "order_id": "S1"}),
        format="json",
    ).json()  # fmt: skip
    assert [set(c) for c in created] == [set(single)] * 3
    references = [c["reference"] for c in created]
    assert [int(r[-6:]) for r in references] == [1, 2, 3]
    assert [c["customer"]["external_id"] for c in created] == ["B0", "B1", "B2"]
    assert created[0]["customer"]["phone"] == "+86 139****5678"
    assert [c["queue"] for c in created] == ["recharge"] * 3
    metrics = [clock["metric"] for clock in single["sla"]]
    assert sorted(metrics) == ["first_response", "regulatory_decision", "resolution"]
    assert [[clock["metric"] for clock in c["sla"]] for c in created] == [metrics] * 3
    assert Case.objects.count() == 4


@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 401), ("finance", 201), ("agent", 201), ("supervisor", 201), ("manager", 201),
     ("intake", 201)],
)  # fmt: skip
def test_who_may_open_a_burst(role, status):
    user = staff(role, "recharge") if role else None
    response = post(user, {"cases": bodies(1)})
    assert response.status_code == status
    if status == 401:
        assert response.json()["code"] == "not_authenticated"
        assert nothing_written()


def test_a_user_with_no_role_is_403():
    from django.contrib.auth import get_user_model

    nobody = get_user_model().objects.create_user("nobody", password="x")
    response = post(nobody, {"cases": bodies(1)})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert nothing_written()


def test_one_bad_item_is_named_by_index_and_field_and_nothing_is_written(intake):
    items = bodies(20)
    items[17]["category"] = "nonsense"
    items[3]["customer"] = {"external_id": ""}
    response = post(intake, {"cases": items})
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == ["cases"]
    assert sorted(errors["cases"]) == ["17", "3"]
    assert list(errors["cases"]["17"]) == ["category"]
    assert list(errors["cases"]["3"]) == ["customer"]
    assert nothing_written()


def test_an_item_refused_by_the_service_is_named_and_nothing_is_written(intake):
    staff("intake", username="other")
    items = bodies(3)
    items[2]["recharge_order"]["order_id"] = "BR0"  # B0's order claimed by B2
    response = post(intake, {"cases": items})
    assert response.status_code == 400
    assert response.json() == {
        "cases": {"2": {"recharge_order": {"order_id": ["Order BR0 belongs to another customer."]}}}
    }
    assert nothing_written()


def test_more_than_ten_thousand_is_a_400_naming_cases(intake):
    response = post(intake, {"cases": [{}] * 10_001})
    assert response.status_code == 400
    assert list(response.json()) == ["cases"]
    assert "10000" in response.json()["cases"][0]
    assert nothing_written()


@pytest.mark.parametrize(
    "data",
    [[], {}, {"cases": []}, {"cases": {}}, {"cases": "x"}, {"cases": [1, "a", None]},
     {"cases": [[]]}, {"cases": None}, "text", 42, None, {"cases": bodies(1), "incident": 5},
     {"cases": bodies(1), "incident": "no-such"}],
)  # fmt: skip
def test_malformed_shapes_are_400(intake, data):
    response = client_for(intake).post(URL, json.dumps(data), content_type="application/json")
    assert response.status_code == 400, response.content
    assert nothing_written()


def test_a_body_that_is_not_json_is_400(intake):
    response = client_for(intake).post(URL, b"{nope", content_type="application/json")
    assert response.status_code == 400
    response = client_for(intake).post(URL, b"\xff\xfe", content_type="application/json")
    assert response.status_code == 400


@override_settings(BULK_INTAKE_MAX_BYTES=2000)
def test_a_body_over_the_bulk_limit_is_a_413(intake):
    response = post(intake, {"cases": bodies(5)})
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert nothing_written()


def test_the_bulk_limit_is_above_the_site_wide_one_for_this_endpoint_only(intake, settings):
    """A body over `DATA_UPLOAD_MAX_MEMORY_SIZE` but under `BULK_INTAKE_MAX_BYTES` is read here
    (and still refused elsewhere)."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 20_000
    items = bodies(40)
    assert len(json.dumps({"cases": items})) > 20_000
    assert post(intake, {"cases": items}).status_code == 201
    single = client_for(intake).post(
        "/api/v1/cases/", {**intake_body(), "description": "x" * 30_000}, format="json"
    )
    assert single.status_code == 413


def test_an_idempotent_replay_returns_the_same_cases_and_opens_nothing(intake):
    first = post(intake, {"cases": bodies(2)}, HTTP_IDEMPOTENCY_KEY="burst-1")
    again = post(intake, {"cases": bodies(2)}, HTTP_IDEMPOTENCY_KEY="burst-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 2
    other = post(intake, {"cases": bodies(3)}, HTTP_IDEMPOTENCY_KEY="burst-1")
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    assert IdempotencyKey.objects.count() == 1


def test_a_refused_burst_leaves_its_key_free_to_retry(intake):
    items = bodies(2)
    items[1]["channel"] = "pigeon"
    assert post(intake, {"cases": items}, HTTP_IDEMPOTENCY_KEY="burst-2").status_code == 400
    fixed = post(intake, {"cases": bodies(2)}, HTTP_IDEMPOTENCY_KEY="burst-2")
    assert fixed.status_code == 201
    assert Case.objects.count() == 2


def test_the_cases_are_opened_in_the_named_incident(intake):
    incident = Incident.objects.create(
        code="outage-9", title="故障", started_at="2026-11-30T10:00:00+08:00"
    )
    response = post(intake, {"cases": bodies(2), "incident": "outage-9"})
    assert response.status_code == 201
    assert set(Case.objects.values_list("incident", flat=True)) == {incident.pk}
    assert CaseEvent.objects.filter(type="incident_linked").count() == 2


def test_a_resolved_incident_is_a_409_and_nothing_is_written(intake):
    Incident.objects.create(
        code="old", title="旧", started_at="2026-11-30T10:00:00+08:00", status="resolved"
    )
    response = post(intake, {"cases": bodies(2), "incident": "old"})
    assert response.status_code == 409
    assert response.json()["code"] == "incident_resolved"
    assert nothing_written()
