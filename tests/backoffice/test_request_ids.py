"""X-Request-ID: taken from the proxy when well formed, else made; on the response and on every
log line of the request."""

import re

import pytest

pytestmark = pytest.mark.django_db

UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def test_a_well_formed_request_id_is_kept_and_returned(client):
    given = "a" * 60 + "-B9z"
    response = client.get("/healthz/live", headers={"x-request-id": given})
    assert response["X-Request-ID"] == given


@pytest.mark.parametrize(
    "given",
    [
        "",
        "a" * 65,
        "has space",
        "under_score",
        "semi;colon",
        "new\nline",
        "ünïcode",
        "../../etc/passwd",
        "id=1%0Aforged",
    ],
)
def test_a_malformed_request_id_is_replaced_by_a_new_one(client, given):
    response = client.get("/healthz/live", headers={"x-request-id": given})
    assert UUID4.fullmatch(response["X-Request-ID"])


def test_each_request_without_an_id_gets_its_own(client):
    first = client.get("/healthz/live")["X-Request-ID"]
    second = client.get("/healthz/live")["X-Request-ID"]
    assert UUID4.fullmatch(first) and UUID4.fullmatch(second) and first != second


def test_the_request_id_is_on_the_requests_log_lines_and_gone_after_it(client, console):
    import logging

    response = client.get("/no-such-page/", headers={"x-request-id": "req-404-check"})
    assert response.status_code in (302, 404)
    logging.getLogger("tests.observability").warning("after the request")
    lines = console.getvalue().splitlines()
    during = [line for line in lines if "request_id=req-404-check" in line]
    assert during, lines
    after = [line for line in lines if line.endswith("after the request")]
    assert len(after) == 1 and "request_id=- " in after[0]
