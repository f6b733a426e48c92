"""No customer phone number, API token or password reaches a log line.

The unit tests feed crafted records to `backoffice.logging.ScrubFilter`. The journey test captures
everything logged at DEBUG — every logger opened up, SQL statements with their parameters included —
while staff and an intake client walk the public surface (token, API intake, a failed login, a
refund requested and approved, staff pages, refusals), then reads the captured lines formatted as
the configured handler formats them: none holds a full phone number, the token or a password. A
second, unfiltered handler sees the same records first, to prove the secrets were there to scrub.
"""

import logging
import sys
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from backoffice.client_ip import ClientIpFormatter
from backoffice.logging import ScrubFilter, scrub_text
from cases.phones import mask_phone
from refunds.choices import RefundStatus
from refunds.models import Refund
from tests.support.factories import staff

PASSWORD = "pw-Secret-123"  # the factories' password
WRONG_PASSWORD = "Not-The-Pw-42!"
TOKEN = "0123456789abcdef0123456789abcdef01234567"


# --- the filter on crafted records -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call +8613912345678 now", "call +86 139****5678 now"),
        ("call 13912345678.", "call +86 139****5678."),
        ("8613912345678", "+86 139****5678"),
        ("008613912345678", "+86 139****5678"),
        ("tel:+86-139-1234-5678;", "tel:+86 139****5678;"),
        ("电话13912345678，请回电", "电话+86 139****5678，请回电"),
        ("Authorization: Token " + TOKEN, "Authorization: Token ****"),
        ("Bearer " + TOKEN.upper(), "Bearer ****"),
        ('{"token": "' + TOKEN + '"}', '{"token": "****"}'),
        ("username=bob&password=hunter2&next=/", "username=bob&password=****&next=/"),
        (
            '{"username": "bob", "password": "a \\"b\\" c"}',
            '{"username": "bob", "password": "****"}',
        ),
        (
            "{'new_password1': 'x', 'new_password2': 'x'}",
            "{'new_password1': '****', 'new_password2': '****'}",
        ),
        ("<QueryDict: {'password': ['hunter2']}>", "<QueryDict: {'password': ['****']}>"),
        (
            'UPDATE "auth_user" SET "password" = \'md5$s$abc\'',
            'UPDATE "auth_user" SET "password" = \'****\'',
        ),
        ("PASSWORD: hunter2 then", "PASSWORD: **** then"),
        ("api_key=abc123 SECRET_KEY='xyz'", "api_key=**** SECRET_KEY='****'"),
    ],
)
def test_secrets_are_masked(text, expected):
    assert scrub_text(text) == expected
    assert scrub_text(expected) == expected  # a second handler's pass changes nothing


@pytest.mark.parametrize(
    "text",
    [
        "case CMP-20260115-0001 moved to in_progress",
        "2026-01-15 13:45:12 took 1717171717171 ms",  # 13 digits: no phone inside
        "amount 50.00 CNY, order R-1, ip 203.0.113.9",
        "payload " + "a" * 64,  # a SHA-256 (audit chain, payload hash), not a token
        "password reset mail sent to bob",  # the word, no value
    ],
)
def test_ordinary_text_is_left_alone(text):
    assert scrub_text(text) == text


@pytest.mark.parametrize("e164", ["+8613912345678", "+8618600001111", "+8619912345678"])
def test_phones_are_masked_like_the_screens_mask_them(e164):
    assert scrub_text(e164) == mask_phone(e164)
    assert scrub_text(e164[3:]) == mask_phone(e164)


def record(msg, args=(), **extra) -> logging.LogRecord:
    rec = logging.LogRecord("tests.scrub", logging.INFO, __file__, 1, msg, args, None)
    rec.__dict__.update(extra)
    return rec


def formatted(rec: logging.LogRecord) -> str:
    assert ScrubFilter().filter(rec) is True  # masks, never drops
    return logging.Formatter("%(message)s").format(rec)


def test_arguments_are_masked():
    rec = record("intake for %s with %s", ("+8613912345678", f"Token {TOKEN}"))
    assert formatted(rec) == "intake for +86 139****5678 with Token ****"


def test_mapping_arguments_are_masked():
    rec = record(
        "login %(username)s password=%(password)s", ({"username": "bob", "password": "x"},)
    )
    assert formatted(rec) == "login bob password=****"


@dataclass
class Customer:
    phone: str


def test_an_argument_whose_str_holds_a_secret_is_masked():
    rec = record("customer %s", (Customer(phone="13912345678"),))
    assert formatted(rec) == "customer Customer(phone='+86 139****5678')"


def test_nothing_to_mask_keeps_the_message_and_its_arguments():
    args = ("CMP-1", 3)
    rec = record("case %s has %d events", args)
    assert formatted(rec) == "case CMP-1 has 3 events"
    assert (rec.msg, rec.args) == ("case %s has %d events", args)


def test_arguments_that_do_not_fit_the_format_are_still_masked():
    rec = record("no placeholder", ("13912345678",))
    ScrubFilter().filter(rec)
    assert rec.args == ("+86 139****5678",)


def test_extra_attributes_are_masked():
    """Django's SQL log puts the statement and its parameters on the record as well."""
    rec = record("(0.001) %s", ("x",), sql="WHERE phone = '13912345678'", params=("13912345678",))
    ScrubFilter().filter(rec)
    assert (rec.sql, rec.params) == ("WHERE phone = '+86 139****5678'", ("+86 139****5678",))


def test_tracebacks_are_masked():
    try:
        raise ValueError(f"bad login password={WRONG_PASSWORD} from 13912345678")
    except ValueError:
        rec = logging.LogRecord(
            "tests.scrub", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    text = formatted(rec)
    assert "ValueError: bad login password=**** from +86 139****5678" in text
    assert WRONG_PASSWORD not in text and "13912345678" not in text


def configured_filter() -> ScrubFilter:
    """The filter instance `settings.LOGGING` put on the root logger's handler."""
    (found,) = {
        f for h in logging.getLogger().handlers for f in h.filters if isinstance(f, ScrubFilter)
    }
    return found


def test_every_configured_handler_has_the_filter():
    config = settings.LOGGING  # dictConfig consumed the filter's "()" key; the handlers keep theirs
    assert set(config["filters"]) == {"scrub", "request_id"}
    assert config["handlers"], "no handlers configured"
    for name, handler in config["handlers"].items():
        assert "scrub" in handler.get("filters", []), name
    assert isinstance(configured_filter(), ScrubFilter)


def test_every_live_handler_has_the_filter():
    """Also the handlers Django's default logging config put on `django` and `django.server`."""
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    unscrubbed = [
        (logger.name, handler)
        for logger in loggers
        for handler in logger.handlers
        if not isinstance(handler, logging.NullHandler)
        and not type(handler).__module__.startswith("_pytest")
        and not any(isinstance(f, ScrubFilter) for f in handler.filters)
    ]
    assert unscrubbed == []


# --- journeys through the public surface, everything captured -----------------------------------


class Capture(logging.Handler):
    def __init__(self, *, scrub: bool):
        super().__init__(logging.DEBUG)
        fmt = settings.LOGGING["formatters"]["plain"]["format"]
        self.setFormatter(ClientIpFormatter(fmt))
        if scrub:
            self.addFilter(configured_filter())
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def captured():
    """(scrubbed, raw): every record at DEBUG from every logger, SQL statements included; the raw
    handler runs first, before any filter touched the record."""
    root = logging.getLogger()
    loggers = [root] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    levels = {logger: logger.level for logger in loggers}
    disabled = {logger: logger.disabled for logger in loggers}
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
    raw, scrubbed = Capture(scrub=False), Capture(scrub=True)
    root.handlers.insert(0, raw)
    root.addHandler(scrubbed)
    connection.force_debug_cursor = True
    try:
        yield scrubbed, raw
    finally:
        connection.force_debug_cursor = False
        root.removeHandler(raw)
        root.removeHandler(scrubbed)
        for logger in loggers:
            logger.setLevel(levels[logger])
            logger.disabled = disabled[logger]


def web_login(username: str, password: str) -> tuple[Client, int]:
    client = Client(headers={"accept-language": "en"})
    response = client.post("/login/", {"username": username, "password": password})
    return client, response.status_code


CUSTOMER_PHONE = "+8613712345678"
ORDER_PHONE = "+8615098765432"


@pytest.mark.django_db
def test_journeys_log_no_phone_token_or_password(captured):
    scrubbed, raw = captured
    cache.clear()  # throttles and axes counters start from zero
    staff("intake", username="intake-bot")
    staff("agent", "recharge", username="agent")
    staff("supervisor", "recharge", username="sup")

    # Token auth with the password (once wrong, once right).
    api = APIClient()
    bad = {"username": "intake-bot", "password": WRONG_PASSWORD}
    assert api.post("/api/v1/auth/token/", bad, format="json").status_code == 400
    good = {"username": "intake-bot", "password": PASSWORD}
    response = api.post("/api/v1/auth/token/", good, format="json")
    assert response.status_code == 200
    token = response.json()["token"]

    # API intake with the customer's phone and the order's phone.
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    body = {
        "channel": "app",
        "category": "recharge_not_credited",
        "subject": f"充值50元未到账 {CUSTOMER_PHONE[3:]}",
        "description": f"客户电话 {CUSTOMER_PHONE}，充值号码 {ORDER_PHONE[3:]}",
        "customer": {"external_id": "U-log", "phone": CUSTOMER_PHONE},
        "recharge_order": {
            "order_id": "R-log",
            "phone": ORDER_PHONE,
            "face_value": "50.00",
            "amount_paid": "50.00",
            "status": "failed",
        },
    }
    response = api.post("/api/v1/cases/", body, format="json")
    assert response.status_code == 201, response.content
    reference = response.json()["reference"]
    bad_token = APIClient()
    bad_token.credentials(HTTP_AUTHORIZATION=f"Token {TOKEN}")
    assert bad_token.get("/api/v1/cases/").status_code == 401

    # A failed login, then the agent signs in, opens staff pages and asks for a refund.
    assert web_login("agent", WRONG_PASSWORD)[1] == 200
    agent, status = web_login("agent", PASSWORD)
    assert status == 302
    assert agent.get(f"/cases/{reference}/").status_code == 200
    assert agent.get("/queues/recharge/").status_code == 200
    assert agent.get(f"/queues/{CUSTOMER_PHONE[3:]}/").status_code == 404
    refund_form = {"amount": "20.00", "liability": "company", "reason": f"退款 {ORDER_PHONE}"}
    response = agent.post(f"/cases/{reference}/refunds/", refund_form)
    assert response.status_code == 302
    refund = Refund.objects.get(case__reference=reference)

    # The supervisor approves it; the intake client is refused a staff page.
    supervisor, status = web_login("sup", PASSWORD)
    assert status == 302
    assert supervisor.post(f"/approvals/{refund.pk}/approve/", {}).status_code == 302
    refund.refresh_from_db()
    assert refund.status == RefundStatus.APPROVED
    intake, status = web_login("intake-bot", PASSWORD)
    assert status == 302
    assert intake.get("/cases/").status_code == 403

    secrets = {
        "customer phone": CUSTOMER_PHONE,
        "customer phone (national)": CUSTOMER_PHONE[3:],
        "order phone": ORDER_PHONE,
        "order phone (national)": ORDER_PHONE[3:],
        "token": token,
        "unknown token": TOKEN,
        "password": PASSWORD,
        "wrong password": WRONG_PASSWORD,
    }
    leaked = {name: value for name, value in secrets.items() if value in scrubbed.text}
    assert leaked == {}, [
        line for line in scrubbed.lines if any(v in line for v in leaked.values())
    ]
    # The capture saw the journeys, and they did log these secrets before scrubbing.
    assert len(scrubbed.lines) == len(raw.lines) > 100
    for value in (CUSTOMER_PHONE, ORDER_PHONE[3:], token):
        assert value in raw.text
    assert mask_phone(CUSTOMER_PHONE) in scrubbed.text
    assert f"Not Found: /queues/{mask_phone(CUSTOMER_PHONE)}/" in scrubbed.text


@pytest.mark.django_db(transaction=True)
def test_gunicorns_access_log_masks_a_phone_number_in_a_query_string(tmp_path):
    """The web process as docs/operations.md runs it, with an access log: the request line's
    phone number is masked (issue 21, finding 9)."""
    import os
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    from tests.support.workers import ROOT, database_url, free_port, wait_for

    port, log = free_port(), tmp_path / "access.log"
    env = {**os.environ, "DATABASE_URL": database_url(), "DEBUG": "true"}
    command = [
        sys.executable, "-m", "gunicorn", "-c", "backoffice/gunicorn_conf.py",
        "-b", f"127.0.0.1:{port}", "-w", "1", "--access-logfile", str(log), "backoffice.wsgi",
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}/api/v1/cases/?q=%2B8613912345678&status=new"

        def answered() -> bool:
            try:
                urllib.request.urlopen(url, timeout=2)
            except urllib.error.HTTPError as exc:
                return exc.code == 401
            except OSError:
                return False
            return False

        assert wait_for(answered, timeout=30)
        assert wait_for(lambda: log.exists() and "cases" in log.read_text(), timeout=10)
    finally:
        server.terminate()
        server.wait(timeout=10)
    text = log.read_text()
    assert "139****5678" in text and "status=new" in text, text
    assert "13912345678" not in text, text
