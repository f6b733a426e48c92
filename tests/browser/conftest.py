"""A real browser (Debian's chromium through Playwright) against `live_server`, with a real Celery
worker on Redis and the sandbox refund provider behind it.

No browser is ever downloaded: Playwright drives `/usr/bin/chromium` (`.ci/run` installs it).
Screenshots go to `$UI_SCREENSHOTS` when set (`UI_SCREENSHOTS=docs/screenshots` refreshes the
README's), to a temporary directory otherwise, so a test run never edits the checkout.
"""

import os
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.support.reachability import redis_reachable, require
from tests.support.workers import Worker, purge_queue

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "pw-Secret-123"  # tests.support.factories.UserFactory


@pytest.fixture(scope="module")
def browser():
    """One chromium per test module; closed after it, because Playwright's sync API cannot run
    twice at once in one thread (another module may start its own)."""
    require(Path(CHROMIUM).exists(), f"chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # around it are synchronous and safe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class Session:
    """One signed-in person in their own browser context; collects console errors (CSP)."""

    def __init__(self, browser, base_url: str, *, locale: str = "zh-CN", javascript=True):
        self.base_url = base_url
        self.context = browser.new_context(
            locale=locale,
            viewport={"width": 1440, "height": 900},
            java_script_enabled=javascript,
            timezone_id="Asia/Shanghai",
        )
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.console_errors: list[str] = []
        self.page.on(
            "console",
            lambda m: (
                self.console_errors.append(f"{m.text} at {m.location} on {self.page.url}")
                if m.type == "error"
                else None
            ),
        )

    def login(self, username: str) -> "Session":
        page = self.page
        page.goto(f"{self.base_url}/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("form[action='/login/'] button[type=submit]")
        page.wait_for_url(lambda url: "/login/" not in url)
        return self

    def goto(self, path: str):
        self.page.goto(f"{self.base_url}{path}")
        return self.page

    def close(self):
        self.context.close()


@pytest.fixture
def open_session(browser, live_server):
    sessions: list[Session] = []

    def start(username: str, **kwargs) -> Session:
        session = Session(browser, live_server.url, **kwargs).login(username)
        sessions.append(session)
        return session

    yield start
    for session in sessions:
        assert not [e for e in session.console_errors if "Content Security Policy" in e], (
            session.console_errors
        )
        session.close()


@pytest.fixture
def screenshots() -> Path:
    target = os.environ.get("UI_SCREENSHOTS")
    path = Path(target) if target else Path(tempfile.mkdtemp(prefix="ui-screenshots-"))
    if not path.is_absolute():
        path = Path(settings.BASE_DIR) / path
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def refund_worker(transactional_db, start_provider_sandbox, tmp_path):
    """The sandbox provider and a Celery worker that reaches it (and writes SMS to a temp dir)."""
    require(redis_reachable(), f"Redis at {settings.CELERY_BROKER_URL}")
    sandbox = start_provider_sandbox()
    purge_queue()
    connection.close()  # the worker must see committed data only
    worker = Worker(
        extra_env={
            "REFUND_PROVIDER_URL": sandbox.url,
            "SMS_GATEWAY_URL": f"file://{tmp_path / 'sms'}",
            "REFUND_APPROVED_GRACE_SECONDS": "1",
        }
    ).start()
    yield worker
    worker.stop()
