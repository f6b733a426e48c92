"""/healthz/live needs nothing; /healthz/ready needs the database, the broker and every migration;
/healthz keeps its old answer. Outages are real: the database and the broker are pointed at a port
nothing listens on."""

import contextlib

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from backoffice import health
from tests.support.workers import broker_down, free_port


@contextlib.contextmanager
def database_down():
    """This process's database connection points at a closed port until the block ends."""
    real_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(free_port())
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = real_port


@pytest.fixture(autouse=True)
def _forget_migration_check(monkeypatch):
    monkeypatch.setattr(health, "_migrated", False)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db
def test_ready_is_200_when_database_broker_and_migrations_are(client):
    response = client.get("/healthz/ready")
    assert response.status_code == 200
    assert response.json() == {
        "database": "ok",
        "broker": "ok",
        "migrations": "ok",
        "status": "ok",
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_live_answers_while_database_and_broker_are_down(client):
    with database_down(), broker_down():
        response = client.get("/healthz/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_ready_and_healthz_are_503_naming_the_database_when_it_is_down(client):
    with database_down():
        ready = client.get("/healthz/ready")
        old = client.get("/healthz")
    assert ready.status_code == 503
    body = ready.json()
    assert body["failed"] == ["database"]
    assert body["database"].startswith("down: ")
    assert (body["broker"], body["migrations"], body["status"]) == ("ok", "unknown", "unavailable")
    assert old.status_code == 503
    assert old.json()["failed"] == ["database"]
    assert "migrations" not in old.json()  # /healthz answers as it always did
    # and once the database is back, so is readiness
    assert client.get("/healthz/ready").status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db
def test_ready_is_503_naming_the_broker_when_it_is_down(client):
    with broker_down():
        response = client.get("/healthz/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["broker"]
    assert (body["database"], body["migrations"]) == ("ok", "ok")
    assert body["broker"].startswith("down: ")


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db
def test_ready_is_503_while_a_migration_is_not_applied(client):
    # the app's latest migration (a plan only walks back from leaves that are not applied)
    ((app, name),) = MigrationLoader(connection).graph.leaf_nodes("backoffice")
    MigrationRecorder.Migration.objects.filter(app=app, name=name).delete()
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["migrations"]
    assert body["migrations"] == "down: 1 not applied"


def test_health_endpoints_refuse_other_methods(client):
    assert client.post("/healthz/live").status_code == 405
    assert client.post("/healthz/ready").status_code == 405


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_metrics_is_503_not_500_while_the_database_is_down(client, settings):
    from tests.support.metrics import TOKEN

    settings.METRICS_TOKEN = TOKEN
    with database_down():
        response = client.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 503
    assert response.content == b"database unavailable\n"
