"""`POST /api/v1/cases/bulk/`: a burst of complaints (a mass incident) opened in one request, all
or nothing (docs/api-additions.md)."""

import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import parsers, serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.api.fields import StrictCharField
from backoffice.api.idempotency import idempotent
from backoffice.api.permissions import RolePermission
from backoffice.api.schema import IDEMPOTENCY_HEADER, errors
from backoffice.errors import Invalid
from backoffice.roles import CASE_WORKERS, Role
from cases.models import Incident
from casework import selectors, services
from casework.api import serializers as s
from casework.api.views import _context


class BulkJSONParser(parsers.BaseParser):
    """JSON up to `BULK_INTAKE_MAX_BYTES` (10,000 complaints do not fit the site-wide
    `DATA_UPLOAD_MAX_MEMORY_SIZE`). Not DRF's `JSONParser`: DRF reads `request.body`, capped by
    that setting, for its own parsers; this one reads the stream itself, one byte past its own
    limit, and a larger body is a 413."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.BULK_INTAKE_MAX_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestDataTooBig(f"Request body exceeded BULK_INTAKE_MAX_BYTES ({limit}).")
        try:
            return json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError) as exc:
            raise ParseError(_("JSON parse error - the body is not valid JSON.")) from exc


class ComplaintList(serializers.ListField):
    """The complaints, each as `POST /api/v1/cases/` takes one; the count is checked before any
    item is (10,001 items are refused without validating 10,000)."""

    def __init__(self, **kwargs):
        super().__init__(child=s.CaseIntakeInput(), allow_empty=False, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, list) and len(data) > services.MAX_BULK_CASES:
            raise serializers.ValidationError(
                _("At most %(n)d complaints per request; this one has %(given)d.")
                % {"n": services.MAX_BULK_CASES, "given": len(data)}
            )
        return super().to_internal_value(data)


class BulkIntakeInput(serializers.Serializer):
    cases = ComplaintList(help_text="Up to 10,000 complaints, each as `POST /api/v1/cases/`.")
    incident = StrictCharField(
        max_length=40,
        required=False,
        allow_null=True,
        default=None,
        help_text="The code of an open incident every case is opened in (optional).",
    )

    def validate_incident(self, value):
        if value is None:
            return None
        incident = Incident.objects.filter(code=value).first()
        if incident is None:
            raise serializers.ValidationError(_("No incident “%(code)s”.") % {"code": value})
        return incident

    def to_kwargs(self) -> dict:
        complaints = [
            services.Complaint(**s.CaseIntakeInput.kwargs_of(item))
            for item in self.validated_data["cases"]
        ]
        return {"complaints": complaints, "incident": self.validated_data["incident"]}


class CaseBulkIntakeView(APIView):
    """Open up to 10,000 complaints in one transaction: all of them, or none."""

    permission_classes = [RolePermission]
    roles_by_action = {"post": set(CASE_WORKERS) | {Role.INTAKE}}
    parser_classes = [BulkJSONParser]

    @extend_schema(
        summary="Open a burst of complaints at once (a mass incident), all or nothing",
        description=(
            "Up to 10,000 complaints, each exactly as `POST /api/v1/cases/` takes one, opened in "
            "one transaction with every row the single intake writes. Any bad complaint: 400 "
            'naming it by index (`{"cases": {"17": {"category": [...]}}}`) and nothing is '
            "opened. A body over `BULK_INTAKE_MAX_BYTES` (16 MiB): 413."
        ),
        request=BulkIntakeInput,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: s.CaseOutput(many=True), **errors(400, 401, 403, 409, 413)},
    )
    @idempotent
    def post(self, request):
        if not isinstance(request.data, dict):
            raise Invalid({"non_field_errors": [_("Send a JSON object with a list `cases`.")]})
        data = BulkIntakeInput(data=request.data)
        data.is_valid(raise_exception=True)
        opened = services.cases_intake_bulk(actor=request.user, **data.to_kwargs())
        cases = [selectors.case_as_loaded(o.case, flags=o.flags, clocks=o.clocks) for o in opened]
        body = s.CaseOutput(cases, many=True, context=_context(request)).data
        return Response(body, status=status.HTTP_201_CREATED)
