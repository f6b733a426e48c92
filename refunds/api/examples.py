"""OpenAPI examples of the refund endpoints, as spec/API.md shows them."""

from drf_spectacular.utils import OpenApiExample

REFUND_REQUEST = OpenApiExample(
    "A full refund of a failed top-up",
    summary="Refund the amount paid; the company is liable",
    request_only=True,
    value={
        "case": "CS-20260930-000123",
        "amount": "50.00",
        "currency": "CNY",
        "reason": "充值失败，话费未到账，全额退款",
        "liability": "company",
    },
)
