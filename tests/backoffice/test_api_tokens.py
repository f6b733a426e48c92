"""API tokens expire (API_TOKEN_MAX_AGE_DAYS) and a new password revokes them."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.support.factories import staff

PASSWORD = "pw-Secret-123"
pytestmark = pytest.mark.django_db


def obtain(username: str = "bot") -> str:
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    return response.json()["token"]


def status_with(key: str) -> int:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/cases/").status_code


def test_an_expired_token_is_refused_and_a_new_one_issued(settings):
    settings.API_TOKEN_MAX_AGE_DAYS = 30
    staff("agent", "recharge", username="bot")
    key = obtain()
    assert status_with(key) == 200
    assert obtain() == key  # still valid: the same token

    Token.objects.filter(key=key).update(created=timezone.now() - timedelta(days=31))
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get("/api/v1/cases/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Token expired; obtain a new one."

    fresh = obtain()
    assert fresh != key
    assert status_with(fresh) == 200 and status_with(key) == 401
    assert Token.objects.filter(user__username="bot").count() == 1


def test_a_password_set_in_the_admin_revokes_the_token(admin_client):
    user = staff("agent", "recharge", username="bot")
    key = obtain()
    response = admin_client.post(
        f"/admin/auth/user/{user.pk}/password/",
        {
            "password1": "n3w-Passw0rd-xyz",
            "password2": "n3w-Passw0rd-xyz",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    assert status_with(key) == 401
    assert not Token.objects.filter(user=user).exists()


def test_create_staff_with_a_new_password_revokes_the_token():
    staff("agent", "recharge", username="bot")
    key = obtain()
    call_command("create_staff", "bot", "--role", "agent", "--password", "An0ther-Secret-1")
    assert status_with(key) == 401
    assert not Token.objects.filter(user__username="bot").exists()
    token = Token.objects.create(user=staff_user("bot"))
    call_command("create_staff", "bot", "--role", "agent")  # no new password: the token stays
    assert status_with(token.key) == 200


def staff_user(username: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)
