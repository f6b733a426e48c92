"""Staff for the screen tests: one per role on the recharge queue, an agent of another queue."""

from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.test import Client

from tests.factories import credit, open_case, order_data, staff


@pytest.fixture(autouse=True)
def _fresh_cache():
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


def many_cases(n: int, *, prefix: str = "M") -> list:
    return [
        open_case(customer_id=f"{prefix}{i}", order=order_data(order_id=f"{prefix}-R{i}"))
        for i in range(n)
    ]
