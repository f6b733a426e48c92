"""The refund tests' sandbox fixture, shared with the demo's refunds."""

from tests.refunds.conftest import start_provider_sandbox

__all__ = ["start_provider_sandbox"]
