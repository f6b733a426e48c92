"""Shared OpenAPI pieces: the error bodies every endpoint may answer with, the idempotency header."""

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorBody = inline_serializer(
    name="Error",
    fields={"detail": serializers.CharField(), "code": serializers.CharField()},
)


class ValidationBody(serializers.Serializer):
    """DRF's validation error: each bad field by name with its messages. Only a name for the
    schema; `ValidationBodySchema` below says what it looks like."""


class ValidationListBody(serializers.Serializer):
    """The validation error of an endpoint that also takes a list body."""


# A field's errors: its messages, a nested object's field errors (nested the same way), or, for a
# list field, one entry per item. A body that is not JSON at all answers `{"detail", "code"}`.
FIELD_ERRORS = {
    "anyOf": [
        {
            "type": "array",
            "items": {
                "anyOf": [{"type": "string"}, {"type": "object", "additionalProperties": {}}]
            },
        },
        {"type": "object", "additionalProperties": {}},
        {"type": "string"},
    ]
}


class ValidationBodySchema(OpenApiSerializerExtension):
    target_class = ValidationBody

    def get_name(self, auto_schema, direction):
        return "ValidationError"

    def map_serializer(self, auto_schema, direction):
        return {
            "type": "object",
            "description": (
                "Every bad field by name with its messages (`non_field_errors` for the body as a "
                "whole); a nested object's errors nest the same way. A body that is not JSON: "
                '`{"detail", "code"}`.'
            ),
            "additionalProperties": FIELD_ERRORS,
            "example": {"amount": ["Ensure this value is greater than or equal to 0."]},
        }


class ValidationListBodySchema(OpenApiSerializerExtension):
    target_class = ValidationListBody

    def get_name(self, auto_schema, direction):
        return "ValidationErrorOfList"

    def map_serializer(self, auto_schema, direction):
        one = auto_schema.resolve_serializer(ValidationBody, direction).ref
        return {
            "description": (
                "For one object, its errors; for a list, one entry per item in the same order "
                "(`{}` for an item without errors)."
            ),
            "anyOf": [one, {"type": "array", "items": one}],
        }


ERRORS = {
    400: OpenApiResponse(
        ValidationBody,
        description=(
            "Invalid input; every bad field is named. Beyond what each field's schema says: no "
            "text may hold a NUL character (U+0000), a text's length counts its surrounding "
            "spaces, and a rule across fields or the data (a report window, an unknown user name, "
            "a cursor not taken from this list) is refused here too."
        ),
    ),
    401: OpenApiResponse(ErrorBody, description="Not authenticated."),
    403: OpenApiResponse(ErrorBody, description="Authenticated but not allowed."),
    404: OpenApiResponse(ErrorBody, description="No such object (or not visible to you)."),
    409: OpenApiResponse(ErrorBody, description="The current state does not allow this."),
    413: OpenApiResponse(ErrorBody, description="The request body is too large."),
    429: OpenApiResponse(
        ErrorBody, description="Too many attempts; `Retry-After` says how many seconds to wait."
    ),
}
# For an endpoint that takes one object or a list of them.
LIST_BODY_400 = OpenApiResponse(
    ValidationListBody, description="Invalid input; every bad field of every item is named."
)


def errors(*codes: int) -> dict:
    return {code: ERRORS[code] for code in codes}


IDEMPOTENCY_HEADER = OpenApiParameter(
    name="Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    type={"type": "string", "minLength": 1, "maxLength": 255},
    description=(
        "1–255 printable characters (no control characters; a key that is not is a 400 naming "
        "`Idempotency-Key`). Within 24 hours the same key with the same body replays the original "
        "response (header `Idempotent-Replayed: true`); with another body: 409 "
        "`idempotency_key_reused`."
    ),
)
