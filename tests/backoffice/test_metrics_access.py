"""`/metrics` is open to the bearer token or to a direct connection from an allowed address only."""

import pytest
from django.test import override_settings

from tests.support.metrics import TOKEN, sample, scrape

pytestmark = pytest.mark.django_db

BEARER = {"authorization": f"Bearer {TOKEN}"}


@override_settings(METRICS_TOKEN="", METRICS_ALLOWED_IPS=[])
def test_metrics_is_404_when_neither_token_nor_addresses_are_configured(client):
    assert client.get("/metrics", headers=BEARER).status_code == 404


@override_settings(METRICS_TOKEN=TOKEN, METRICS_ALLOWED_IPS=[])
@pytest.mark.parametrize(
    "authorization",
    [None, "", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Token {TOKEN}", f"Basic {TOKEN}"],
)
def test_metrics_without_the_right_token_is_403_and_shows_nothing(client, authorization):
    headers = {"authorization": authorization} if authorization is not None else {}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 403
    assert b"backoffice_" not in response.content


@override_settings(METRICS_TOKEN=TOKEN, METRICS_ALLOWED_IPS=[])
def test_metrics_with_the_token_lists_every_series(client):
    response = client.get("/metrics", headers=BEARER)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert "no-cache" in response["Cache-Control"]
    text = response.content.decode()
    for family in (
        "backoffice_cases_open",
        "backoffice_cases_unassigned",
        "backoffice_cases_at_risk",
        "backoffice_cases_breached",
        "backoffice_queue_counts_age_seconds",
        "backoffice_outbox_unsent",
        "backoffice_outbox_oldest_due_age_seconds",
        "backoffice_refunds",
        "backoffice_refunds_estimated",
        "backoffice_refund_provider_errors_total",
        "backoffice_task_run_seconds",
        "backoffice_task_wait_seconds",
        "backoffice_task_failures_total",
    ):
        assert f"# TYPE {family} " in text, family
    samples = scrape(client)
    # every queue is listed, with zero counts on an empty database; every refund status too
    assert sample(samples, "backoffice_cases_breached", queue="recharge") == 0
    assert sample(samples, "backoffice_refunds", status="succeeded") == 0
    assert sample(samples, "backoffice_refund_provider_errors_total", kind="unavailable") == 0


@override_settings(METRICS_TOKEN="", METRICS_ALLOWED_IPS=["10.20.0.0/16", "192.0.2.7"])
@pytest.mark.parametrize(
    ("remote_addr", "forwarded", "status"),
    [
        ("10.20.3.4", None, 200),
        ("192.0.2.7", None, 200),
        ("10.21.0.1", None, 403),
        ("127.0.0.1", None, 403),
        # through the proxy: never let in by address, whatever the proxy's own address is
        ("10.20.3.4", "10.20.3.4", 403),
        ("192.0.2.7", "203.0.113.9", 403),
    ],
)
def test_metrics_by_address_only_for_direct_connections_from_the_list(
    client, remote_addr, forwarded, status
):
    headers = {"x-forwarded-for": forwarded} if forwarded else {}
    response = client.get("/metrics", headers=headers, REMOTE_ADDR=remote_addr)
    assert response.status_code == status


@override_settings(METRICS_TOKEN=TOKEN, METRICS_ALLOWED_IPS=["10.20.0.0/16"])
def test_metrics_with_both_configured_either_lets_in(client):
    assert client.get("/metrics", REMOTE_ADDR="10.20.0.1").status_code == 200
    assert client.get("/metrics", headers=BEARER, REMOTE_ADDR="203.0.113.9").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403


@override_settings(METRICS_TOKEN=TOKEN, SECURE_SSL_REDIRECT=True)
def test_metrics_and_health_are_not_redirected_to_https(client):
    # Prometheus and the load balancer talk to gunicorn directly, over plain HTTP.
    assert client.get("/metrics", headers=BEARER).status_code == 200
    assert client.get("/healthz/live").status_code == 200
    assert client.get("/login/").status_code == 301


@override_settings(METRICS_TOKEN=TOKEN)
def test_metrics_refuses_other_methods(client):
    assert client.post("/metrics", headers=BEARER).status_code == 405


@pytest.mark.postgres
@override_settings(METRICS_TOKEN=TOKEN, QUEUE_COUNTS_MAX_AGE=180)
def test_a_scrape_never_counts_the_big_tables(client):
    """With the beat task's stored counts in place (production), a scrape reads no case row, counts
    refunds only through bounded index reads, and runs the same statements however much data."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sla.counts import refresh_queue_counts
    from tests.support.refund_factories import People, paid_case, request_refund

    refresh_queue_counts()
    with CaptureQueriesContext(connection) as empty:
        scrape(client)
    people = People()
    for n in range(3):
        case = paid_case("20.00", order_id=f"R{n}", customer_id=f"U{n}")
        request_refund(people.agent, case, "20.00")
    refresh_queue_counts()
    with CaptureQueriesContext(connection) as filled:
        samples = scrape(client)
    assert sample(samples, "backoffice_refunds", status="pending_approval") == 3
    assert sample(samples, "backoffice_cases_open", queue="recharge", status="new") == 3
    assert len(filled.captured_queries) == len(empty.captured_queries)
    statements = [q["sql"] for q in filled.captured_queries]
    assert not [sql for sql in statements if '"cases_case"' in sql or "cases_case " in sql]
    refund_reads = [sql for sql in statements if "refunds_refund" in sql]
    assert refund_reads and all("LIMIT" in sql for sql in refund_reads), refund_reads
    notification_reads = [sql for sql in statements if "cases_notification" in sql]
    assert notification_reads
    assert all("IN ('queued', 'sending')" in sql for sql in notification_reads), notification_reads
