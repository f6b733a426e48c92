import pytest
from django.test import override_settings

from backoffice import health
from backoffice.celery import app as celery_app


@pytest.mark.django_db
@pytest.mark.redis
def test_healthz_is_200_when_database_and_broker_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok", "status": "ok"}


@pytest.mark.django_db
def test_healthz_is_503_naming_the_broker_when_it_is_down(client, monkeypatch):
    # Nothing listens on port 1: the broker connection is refused.
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["broker"]
    assert body["database"] == "ok"
    assert body["broker"].startswith("down:")


@pytest.mark.django_db
def test_healthz_is_503_naming_the_database_when_it_fails(client, monkeypatch):
    monkeypatch.setattr(health, "check_database", lambda: "OperationalError")
    monkeypatch.setattr(health, "check_broker", lambda: None)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True)
def test_healthz_is_not_redirected_to_https(client, monkeypatch):
    monkeypatch.setattr(health, "check_broker", lambda: None)
    assert client.get("/healthz").status_code == 200


def test_healthz_refuses_other_methods(client):
    assert client.post("/healthz").status_code == 405
