"""Failed logins throttle the attacker, never the real user at their own address (issue 21 #7),
and the client address comes from trusted proxies only (backoffice/client_ip.py)."""

import logging
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessLog
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from backoffice.client_ip import ClientIpFilter, client_ip
from backoffice.observability.requestid import RequestIdFilter
from tests.support.factories import staff

PASSWORD = "pw-Secret-123"
A, B, C, PROXY = "198.51.100.7", "203.0.113.20", "192.0.2.99", "10.0.0.5"

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return staff("agent", "recharge", username="alice")


def login(ip: str, password: str, *, xff: str | None = None, username: str = "alice"):
    client = Client(REMOTE_ADDR=ip, headers={"accept-language": "en"})
    extra = {"HTTP_X_FORWARDED_FOR": xff} if xff else {}
    response = client.post("/login/", {"username": username, "password": password}, **extra)
    return client, response


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def failures(**filters) -> int:
    return sum(
        AccessAttempt.objects.filter(**filters).values_list("failures_since_start", flat=True)
    )


def test_an_attacker_at_one_address_cannot_lock_out_the_user_at_another(user, settings):
    """Behind the documented TLS proxy every request comes from the proxy's address."""
    settings.TRUSTED_PROXIES = [PROXY]
    # The user has signed in from B before: B is a known address of this account.
    client, response = login(PROXY, PASSWORD, xff=B)
    assert (response.status_code, signed_in(client)) == (302, True)

    statuses = [login(PROXY, "wrong", xff=A)[1].status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]  # the fifth failure locks the pair
    # A is now locked for alice: even the right password from A is refused, unchecked.
    client, response = login(PROXY, PASSWORD, xff=A)
    assert response.status_code == 429
    assert int(response["Retry-After"]) == 900
    assert "Too many failed sign-ins to this account from your address" in response.content.decode()
    assert not signed_in(client)

    # The real user at B signs in at once.
    client, response = login(PROXY, PASSWORD, xff=B)
    assert (response.status_code, signed_in(client)) == (302, True)
    assert failures(username="alice", ip_address=A) == 5  # the attacker's pair stays locked
    assert failures(username="alice", ip_address=B) == 0
    assert failures(ip_address=PROXY) == 0


def test_the_attacker_is_slowed_across_addresses_with_growing_waits(user, freezer):
    for _ in range(5):
        login(A, "wrong")
    # From a fresh address C, right after: the account backs off for unknown addresses.
    client, response = login(C, PASSWORD)
    assert response.status_code == 429
    assert response["Retry-After"] == "1"
    assert "Too many failed sign-ins to this account. Try again in 1 seconds." in (
        response.content.decode()
    )
    assert not signed_in(client)
    assert failures(ip_address=C) == 0  # refused before the password: no failure counted

    waits = []
    for n in range(4):
        freezer.tick(timedelta(seconds=2**n))  # the back-off has passed: one more guess
        _client, response = login(C if n < 3 else "192.0.2.100", "wrong")
        assert response.status_code == 200
        _client, response = login("192.0.2.101", "wrong")
        assert response.status_code == 429
        waits.append(int(response["Retry-After"]))
    assert waits == [2, 4, 8, 16]

    # Still: the real user at a known address is never slowed.
    AccessLog.objects.create(username="alice", ip_address=B, user_agent="", http_accept="")
    client, response = login(B, PASSWORD)
    assert (response.status_code, signed_in(client)) == (302, True)


def test_one_address_spraying_many_accounts_is_refused(user):
    for i in range(20):
        _client, response = login(A, "wrong", username=f"user{i}")
        assert response.status_code == 200
    client, response = login(A, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-ins from your address" in response.content.decode()
    assert not signed_in(client)
    client, response = login(B, PASSWORD)  # elsewhere, alice is not concerned
    assert (response.status_code, signed_in(client)) == (302, True)


def test_a_spoofed_forwarded_for_from_an_untrusted_hop_is_ignored(user, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    login(B, PASSWORD)  # alice has signed in from B before (B is a known address)
    # The attacker connects directly and claims to be a new address each time: all count for A.
    for i in range(5):
        login(A, "wrong", xff=f"192.0.2.{i}")
    assert failures(ip_address=A) == 5
    assert failures(ip_address__startswith="192.0.2.") == 0
    _client, response = login(A, PASSWORD, xff=B)
    assert response.status_code == 429

    # Through the trusted proxy, with a spoofed entry left of the real client: the client is B.
    client, response = login(PROXY, PASSWORD, xff=f"{A}, {B}")
    assert (response.status_code, signed_in(client)) == (302, True)
    assert AccessLog.objects.filter(username="alice", ip_address=B).count() == 2
    assert AccessLog.objects.filter(ip_address=PROXY).count() == 0


def test_without_trusted_proxies_forwarded_for_is_never_read(user, settings):
    settings.TRUSTED_PROXIES = []
    for _ in range(5):
        login(PROXY, "wrong", xff=A)
    assert failures(ip_address=PROXY) == 5 and failures(ip_address=A) == 0


@pytest.mark.parametrize(
    ("remote", "xff", "trusted", "expected"),
    [
        ("203.0.113.20", "", [], "203.0.113.20"),
        ("203.0.113.20", "1.2.3.4", [], "203.0.113.20"),  # no proxy trusted: XFF ignored
        ("203.0.113.20", "1.2.3.4", ["10.0.0.0/8"], "203.0.113.20"),  # peer untrusted
        ("10.0.0.5", "1.2.3.4", ["10.0.0.0/8"], "1.2.3.4"),
        ("10.0.0.5", "6.6.6.6, 1.2.3.4", ["10.0.0.0/8"], "1.2.3.4"),  # spoofed left part
        ("10.0.0.5", "1.2.3.4, 10.0.0.9", ["10.0.0.0/8"], "1.2.3.4"),  # two trusted hops
        ("10.0.0.5", "10.0.0.7", ["10.0.0.0/8"], "10.0.0.7"),  # all trusted: leftmost
        ("10.0.0.5", "garbage", ["10.0.0.0/8"], "10.0.0.5"),  # unparsable: the proxy
        ("10.0.0.5", "1.2.3.4:5678", ["10.0.0.5"], "1.2.3.4"),
        ("::1", "2001:db8::7", ["::1", "127.0.0.1"], "2001:db8::7"),
        ("::ffff:10.0.0.5", "1.2.3.4", ["10.0.0.0/8"], "1.2.3.4"),
        ("", "1.2.3.4", ["10.0.0.0/8"], ""),
    ],
)
def test_client_ip_walks_forwarded_for_from_the_right(remote, xff, trusted, expected, settings):
    settings.TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=xff)
    assert client_ip(request) == expected


def test_log_lines_carry_the_client_address(user, settings, caplog):
    settings.TRUSTED_PROXIES = [PROXY]
    [console] = [h for h in logging.getLogger().handlers if h.name == "console"]
    formatter = console.formatter
    caplog.handler.addFilter(ClientIpFilter())
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.WARNING, logger="axes"):
        login(PROXY, "wrong", xff=f"6.6.6.6, {A}")
    records = [r for r in caplog.records if r.name.startswith("axes")]
    assert records and {r.client_ip for r in records} == {A}
    line = formatter.format(records[0])
    assert f" axes.handlers.database [{A}] request_id=" in line
    assert "AXES: New login failure" in line
    outside = logging.LogRecord("x", logging.INFO, "", 0, "after the request", (), None)
    RequestIdFilter().filter(outside)  # the handler's filters run before its formatter
    assert formatter.format(outside).endswith(" x [-] request_id=- after the request")


def test_the_api_token_endpoint_is_throttled_like_the_page(user):
    api = APIClient(REMOTE_ADDR=A, HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(5):
        response = api.post(
            "/api/v1/auth/token/", {"username": "alice", "password": "x"}, format="json"
        )
        assert response.status_code == 400
    response = api.post(
        "/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 429
    assert response.json() == {
        "detail": "Too many failed sign-ins to this account from your address. Try again in 15 "
        "minutes.",
        "code": "throttled",
    }
    assert response["Retry-After"] == "900"
    other = APIClient(REMOTE_ADDR=C)
    response = other.post(
        "/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 429 and response["Retry-After"] == "1"


def test_the_lockout_page_speaks_chinese(user):
    client = Client(REMOTE_ADDR=A, headers={"accept-language": "zh-hans"})
    for _ in range(5):
        response = client.post("/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 429
    html = response.content.decode()
    assert "您所在的地址登录此账号失败次数过多，请 15 分钟后再试。" in html
    assert "Too many" not in html and "Try again" not in html
