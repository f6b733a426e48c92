import io
import logging

import pytest
from prometheus_client.parser import text_string_to_metric_families

from backoffice.observability.requestid import RequestIdFilter

TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture
def console():
    """The configured console handler (settings.LOGGING) writing into a buffer: what an operator's
    log would show, formatted and filtered as configured."""
    # By name: a worker started in-process by an earlier test may have added handlers of its own.
    (handler,) = [h for h in logging.getLogger().handlers if h.name == "console"]
    assert any(isinstance(f, RequestIdFilter) for f in handler.filters)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(previous)


def scrape(client, token: str = TOKEN) -> dict:
    """GET /metrics with the token; {(sample name, frozenset of labels): value}."""
    response = client.get("/metrics", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.content
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def sample(samples: dict, name: str, **labels) -> float | None:
    return samples.get((name, frozenset(labels.items())))
