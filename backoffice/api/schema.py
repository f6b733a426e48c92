"""Shared OpenAPI pieces: the error bodies every endpoint may answer with, the idempotency header."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorBody = inline_serializer(
    name="Error",
    fields={"detail": serializers.CharField(), "code": serializers.CharField()},
)
ValidationBody = inline_serializer(
    name="ValidationError",
    fields={
        "field": serializers.ListField(
            child=serializers.CharField(), help_text="every bad field, by name, with its messages"
        )
    },
)

ERRORS = {
    400: OpenApiResponse(ValidationBody, description="Invalid input; every bad field is named."),
    401: OpenApiResponse(ErrorBody, description="Not authenticated."),
    403: OpenApiResponse(ErrorBody, description="Authenticated but not allowed."),
    404: OpenApiResponse(ErrorBody, description="No such object (or not visible to you)."),
    409: OpenApiResponse(ErrorBody, description="The current state does not allow this."),
    413: OpenApiResponse(ErrorBody, description="The request body is too large."),
}


def errors(*codes: int) -> dict:
    return {code: ERRORS[code] for code in codes}


IDEMPOTENCY_HEADER = OpenApiParameter(
    name="Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "1–255 characters. Within 24 hours the same key with the same body replays the original "
        "response (header `Idempotent-Replayed: true`); with another body: 409 "
        "`idempotency_key_reused`."
    ),
)
