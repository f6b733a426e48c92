"""Reads of the provider's refunds (one by id, by reference, the whole ledger) through the product
client's own request and parsing (`refunds.providers.client`: the same failures, the same refund
objects). The product never reads a provider's refunds back; the tests compare what the client was
answered with what the provider recorded."""

from urllib.parse import quote

from refunds.providers.client import ProviderRefund, ProviderUnavailable, _parse, _request


def _parse_list(body: object, what: str) -> list[ProviderRefund]:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise ProviderUnavailable(f"{what}: malformed list")
    return [_parse(item, what) for item in data]


def find_refunds(*, reference: str) -> list[ProviderRefund]:
    """Every refund the provider recorded with this reference, oldest first."""
    return _parse_list(_request("GET", "/v1/refunds", params={"reference": reference}), "GET")


def ledger() -> list[ProviderRefund]:
    """Every refund the provider recorded (its ledger), oldest first."""
    return _parse_list(_request("GET", "/v1/refunds"), "GET /v1/refunds")


def get_refund(*, refund_id: str) -> ProviderRefund:
    """One refund by the provider's id (ProviderRejected with code `not_found` if unknown)."""
    return _parse(
        _request("GET", f"/v1/refunds/{quote(refund_id, safe='')}"), "GET /v1/refunds/{id}"
    )
