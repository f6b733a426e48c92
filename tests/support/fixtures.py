"""Fixtures more than one test folder uses, loaded for the whole suite by `tests/conftest.py`.

Staff for the screen tests: one per role on the recharge queue, an agent of another queue; and the
sandbox refund provider (the refund, browser and chaos tests)."""

from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.test import Client

from tests.support.factories import credit, open_case, order_data, staff
from tests.support.sandbox import ProviderSandbox


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttles and the daily summary's sent marks live in the cache."""
    cache.clear()


@pytest.fixture
def people(db):
    return SimpleNamespace(
        agent=staff("agent", "recharge", username="agent"),
        agent2=staff("agent", "recharge", username="agent2"),
        credit_agent=staff("agent", "credit", username="cagent"),
        supervisor=staff("supervisor", "recharge", username="sup"),
        finance=staff("finance", username="fin"),
        manager=staff("manager", username="boss"),
        intake=staff("intake", username="intake"),
    )


@pytest.fixture
def case(people):
    """A recharge case (recharge queue) with a ¥50.00 failed China Mobile top-up."""
    return open_case(customer_id="U1", order=order_data(order_id="R-1"))


@pytest.fixture
def credit_case(people):
    """A credit-limit case (credit queue): limit shown, nothing available."""
    return open_case(
        customer_id="U2",
        order=None,
        category="credit_limit_unusable",
        subject="额度显示有但用不了",
        credit=credit(available="0.00", overdue_days=3),
    )


@pytest.fixture
def client():
    """English, so the assertions read the source strings; tests of Chinese ask for it."""
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


@pytest.fixture
def start_provider_sandbox(settings):
    """Start a sandbox provider with the given options and point the client at it (the last one)."""
    started: list[ProviderSandbox] = []

    def start(**options) -> ProviderSandbox:
        sandbox = ProviderSandbox(**options).start()
        started.append(sandbox)
        settings.REFUND_PROVIDER_URL = sandbox.url
        return sandbox

    yield start
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def provider_sandbox(start_provider_sandbox) -> ProviderSandbox:
    """A sandbox provider with no faults, the client pointed at it."""
    return start_provider_sandbox()
