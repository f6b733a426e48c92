"""One error shape for the API (spec/API.md): DRF's field errors for validation, and
`{"detail", "code"}` for everything else. Domain errors from services map to 400/403/404/409."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from backoffice.errors import DomainError, Invalid

logger = logging.getLogger(__name__)


def _detail(message: str, code: str, status_code: int, headers=None) -> Response:
    return Response({"detail": message, "code": code}, status=status_code, headers=headers)


def api_exception_handler(exc, context):
    if isinstance(exc, Invalid):
        return Response(exc.errors, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DomainError):
        return _detail(exc.message, exc.code, exc.status)
    if isinstance(exc, RequestDataTooBig | TooManyFieldsSent):
        return _detail(_("The request body is too large."), "request_too_large", 413)
    if isinstance(exc, Http404):
        return _detail(_("Not found."), "not_found", 404)
    if isinstance(exc, DjangoPermissionDenied) and not isinstance(exc, exceptions.APIException):
        return _detail(
            str(exc) or _("You do not have permission to do this."), "permission_denied", 403
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        return response  # DRF's shape: field → messages (a list of those for a list body)
    if isinstance(exc, exceptions.APIException) and isinstance(response.data, dict):
        codes = exc.get_codes()
        response.data = {
            "detail": str(response.data.get("detail", exc.detail)),
            "code": codes if isinstance(codes, str) else exc.default_code,
        }
    return response
