"""The examples in the OpenAPI schema (from spec/API.md) are requests the API accepts, and the
intake response example shows exactly the fields the endpoint answers with."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from cases.models import Case, RechargeOrder
from tests.support.factories import open_case, order_data, staff

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture(autouse=True)
def _no_throttle_carry_over():
    cache.clear()


def examples(schema: dict, method: str, path: str) -> dict:
    body = schema["paths"][path][method]["requestBody"]["content"]["application/json"]
    return {name: example["value"] for name, example in body["examples"].items()}


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def test_the_intake_examples_open_cases(schema):
    client = client_for(staff("intake"))
    found = examples(schema, "post", "/api/v1/cases/")
    assert len(found) == 2

    for body in found.values():
        response = client.post("/api/v1/cases/", body, format="json")
        assert response.status_code == 201, response.json()

    assert Case.objects.count() == 2


def test_the_intake_response_example_shows_what_the_endpoint_answers(schema):
    operation = schema["paths"]["/api/v1/cases/"]["post"]
    content = operation["responses"]["201"]["content"]["application/json"]
    (example,) = (e["value"] for e in content["examples"].values())
    request = examples(schema, "post", "/api/v1/cases/")["ATop-upThatDidNotArrive"]

    response = client_for(staff("intake")).post("/api/v1/cases/", request, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == set(example)
    assert set(body["sla"][0]) == set(example["sla"][0])
    assert [c["metric"] for c in body["sla"]] == [c["metric"] for c in example["sla"]]
    assert [f["code"] for f in body["risk_flags"]] == [f["code"] for f in example["risk_flags"]]
    assert body["customer"] == example["customer"]
    assert (body["queue"], body["status"], body["assignee"]) == ("recharge", "new", None)


def test_the_refund_example_asks_for_a_refund(schema):
    (body,) = examples(schema, "post", "/api/v1/refunds/").values()
    paid = Decimal(body["amount"])
    case = open_case(order=order_data(amount_paid=paid, face_value=paid))

    agent = staff("agent", case.queue.code)
    response = client_for(agent).post(
        "/api/v1/refunds/", {**body, "case": case.reference}, format="json"
    )

    assert response.status_code == 201, response.json()
    assert (response.json()["status"], response.json()["amount"]) == ("pending_approval", "50.00")


def test_the_recharge_order_examples_are_upserted(schema):
    found = examples(schema, "post", "/api/v1/recharge-orders/")
    client = client_for(staff("intake"))

    bulk = client.post("/api/v1/recharge-orders/", found["SeveralOrders"], format="json")
    one = client.post("/api/v1/recharge-orders/", found["OneOrder"], format="json")

    assert bulk.status_code == 201, bulk.json()
    assert (bulk.json()["created"], bulk.json()["updated"]) == (2, 0)
    assert one.status_code == 200, one.json()
    assert (one.json()["created"], one.json()["updated"]) == (0, 1)
    assert RechargeOrder.objects.count() == 2
