"""A case's regulatory codes over the API: read them (case workers who see the case), correct
them (supervisors of its queue, with a reason). Input serializer → service → output serializer."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.api.fields import StrictCharField
from backoffice.api.permissions import RolePermission
from backoffice.api.schema import errors
from backoffice.errors import NotFound
from backoffice.roles import CASE_WORKERS, Role
from casework.selectors import case_for_update
from regulatory import policy, selectors, services


class CodeOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class CodingOutput(serializers.Serializer):
    reference = serializers.CharField(source="case.reference")
    code_set = serializers.CharField(help_text="The standard and version of the codes")
    a = CodeOutput(allow_null=True, help_text="A: the channel where the business was done")
    b = CodeOutput(allow_null=True, help_text="B: the business type")
    c = CodeOutput(allow_null=True, help_text="C: the cause")
    source = serializers.CharField(help_text="default (from the mapping) or corrected")
    corrected_by = serializers.CharField(
        source="corrected_by.username", allow_null=True, help_text="Who corrected the codes"
    )
    corrected_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField()
    province = serializers.CharField()
    city = serializers.CharField()


class CorrectionInput(serializers.Serializer):
    a = StrictCharField(max_length=12, help_text="e.g. A0303")
    b = StrictCharField(max_length=12, help_text="e.g. B0301")
    c = StrictCharField(max_length=12, help_text="e.g. C02")
    reason = StrictCharField(max_length=policy.MAX_REASON)


class RegulatoryCodesView(APIView):
    permission_classes = [RolePermission]
    roles_by_action = {"get": set(CASE_WORKERS), "patch": {Role.AGENT, Role.SUPERVISOR}}

    def _coding(self, case):
        coding = selectors.coding_of(case)
        if coding is None:
            raise NotFound(
                _("Case %(reference)s has no regulatory codes.") % {"reference": case.reference}
            )
        return coding

    @extend_schema(
        summary="A case's regulatory codes (JR/T 0169-2018: A channel, B business, C cause)",
        responses={200: CodingOutput, **errors(401, 403, 404)},
    )
    def get(self, request, reference: str):
        case = case_for_update(request.user, reference.upper())
        return Response(CodingOutput(self._coding(case)).data)

    @extend_schema(
        summary="Correct a case's regulatory codes (supervisors of its queue, with a reason)",
        request=CorrectionInput,
        responses={200: CodingOutput, **errors(400, 401, 403, 404, 409)},
    )
    def patch(self, request, reference: str):
        data = CorrectionInput(data=request.data)
        data.is_valid(raise_exception=True)
        case = case_for_update(request.user, reference.upper())
        services.coding_correct(actor=request.user, case=case, **data.validated_data)
        return Response(CodingOutput(self._coding(case)).data)
