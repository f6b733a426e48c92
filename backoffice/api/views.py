from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, parsers, serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.renderers import JSONRenderer

from backoffice.api.parsers import JSONParser
from backoffice.api.schema import errors
from backoffice.client_ip import client_ip
from backoffice.login_throttle import login_refusal


class TokenView(ObtainAuthToken):
    """`POST {"username", "password"}` → `{"token"}`; 400 on bad credentials."""

    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser, parsers.FormParser]
    throttle_scope = "login"

    @extend_schema(
        summary="Obtain an API token",
        request=inline_serializer(
            "TokenRequest",
            {"username": serializers.CharField(), "password": serializers.CharField()},
        ),
        responses={
            200: inline_serializer("Token", {"token": serializers.CharField()}),
            **errors(400, 403, 429),
        },
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        data = request.data if hasattr(request.data, "get") else {}
        username = data.get("username")
        refusal = login_refusal(
            username=username if isinstance(username, str) else "", ip=client_ip(request)
        )
        if refusal is not None:
            throttled = exceptions.Throttled(detail=refusal.message)  # the message says the wait
            throttled.wait = refusal.retry_after  # → Retry-After
            raise throttled
        return super().post(request, *args, **kwargs)
