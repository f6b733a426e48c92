import pytest

from tests.refunds.sandbox import ProviderSandbox


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
