from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import parsers, serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.renderers import JSONRenderer

from backoffice.api.parsers import JSONParser
from backoffice.api.schema import errors


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
            **errors(400, 403),
        },
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
