import io
import logging

import pytest

from backoffice.observability.requestid import RequestIdFilter


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
