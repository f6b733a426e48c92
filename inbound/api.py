"""`POST /api/v1/sms/events/`: the SMS gateway's webhook (see `inbound/sms.py`).

No session, no CSRF, no token: the HMAC signature is the authentication, checked on the raw body
before it is parsed. Then the body (one event or a list) is validated — a 400 names every bad
field, in DRF's shape (a list of those for a list body) — and handed to the service.
"""

import json

from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.policy import MAX_MESSAGE
from inbound import sms

MAX_EVENTS = 500


class DeliveryEventSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["delivery"])
    message_id = serializers.CharField(max_length=100, help_text="The gateway's id of the SMS")
    status = serializers.ChoiceField(choices=["delivered", "failed"])
    error = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    def to_event(self) -> sms.DeliveryReport:
        v = self.validated_data
        return sms.DeliveryReport(
            message_id=v["message_id"], status=v["status"], error=v["error"], at=v["at"]
        )


class ReplyEventSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["reply"])
    id = serializers.CharField(max_length=255, help_text="The gateway's id of the message")
    vars()["from"] = serializers.CharField(max_length=32, help_text="The sender, e.g. +86…")
    text = serializers.CharField(max_length=MAX_MESSAGE)
    at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    def to_event(self) -> sms.Reply:
        v = self.validated_data
        return sms.Reply(id=v["id"], sender=v["from"], text=v["text"], at=v["at"])


class _TypeSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["delivery", "reply"])


SERIALIZERS = {"delivery": DeliveryEventSerializer, "reply": ReplyEventSerializer}


def _event(item) -> tuple[object | None, dict]:
    """(the event, {}) or (None, its errors by field)."""
    if not isinstance(item, dict):
        return None, {"non_field_errors": [_("Each event is a JSON object.")]}
    kind = _TypeSerializer(data=item)
    if not kind.is_valid():
        return None, kind.errors
    serializer = SERIALIZERS[kind.validated_data["type"]](data=item)
    if not serializer.is_valid():
        return None, serializer.errors
    return serializer.to_event(), {}


def parse_events(body: bytes) -> list:
    """The events of a body (one object or a list of them), or a 400."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ParseError(_("The body is not JSON.")) from exc
    if isinstance(payload, dict):
        event, errors = _event(payload)
        if errors:
            raise ValidationError(errors)
        return [event]
    if not isinstance(payload, list):
        raise ValidationError(
            {"non_field_errors": [_("Send one event (an object) or a list of them.")]}
        )
    if not payload or len(payload) > MAX_EVENTS:
        raise ValidationError(
            {"non_field_errors": [_("Send 1 to %(max)d events.") % {"max": MAX_EVENTS}]}
        )
    parsed = [_event(item) for item in payload]
    if any(errors for _event_, errors in parsed):
        raise ValidationError([errors for _event_, errors in parsed])
    return [event for event, _errors in parsed]


_RESULTS = inline_serializer(
    name="SmsEventResults",
    fields={"results": serializers.ListField(child=serializers.DictField())},
)
_REFUSED = OpenApiResponse(description='`{"detail", "code"}`')


def _refusal(refused: sms.Refused) -> Response:
    headers = {"WWW-Authenticate": "HMAC-SHA256"} if refused.status == 401 else None
    return Response(
        {"detail": refused.detail, "code": refused.code}, refused.status, headers=headers
    )


class SmsEventsView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []  # the gateway's volume; an unsigned call costs one HMAC and is refused

    @extend_schema(
        operation_id="sms_events",
        summary="The SMS gateway's delivery reports and replies (HMAC-signed webhook)",
        request=PolymorphicProxySerializer(
            component_name="SmsEvent",
            serializers=[DeliveryEventSerializer, ReplyEventSerializer],
            resource_type_field_name="type",
        ),
        parameters=[
            OpenApiParameter(
                "X-Signature",
                location=OpenApiParameter.HEADER,
                required=True,
                description='hex HMAC-SHA256 of `X-Timestamp + "." + body`',
            ),
            OpenApiParameter(
                "X-Timestamp", location=OpenApiParameter.HEADER, required=True, type=int
            ),
        ],
        responses={
            200: _RESULTS,
            400: OpenApiResponse(description="The fields in error"),
            401: _REFUSED,
            409: _REFUSED,
        },
    )
    def post(self, request):
        body = request.body
        try:
            signature = sms.verify(
                body=body,
                timestamp=request.headers.get("X-Timestamp", ""),
                signature=request.headers.get("X-Signature", ""),
            )
        except sms.Refused as refused:
            return _refusal(refused)
        events = parse_events(body)
        try:
            results = sms.sms_events_receive(signature=signature, events=events)
        except sms.Refused as refused:
            return _refusal(refused)
        return Response({"results": results})
