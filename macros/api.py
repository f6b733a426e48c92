"""Macros on a case over the API: list the ones the case may use (filled for its customer), apply
one (the reply and the changes, all or nothing, through `casework.services.apply_macro`)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.api.idempotency import idempotent
from backoffice.api.permissions import RolePermission
from backoffice.api.schema import IDEMPOTENCY_HEADER, errors
from backoffice.errors import Invalid
from backoffice.roles import Role
from casework import selectors, services
from casework.api import serializers as s
from macros.models import Macro
from macros.selectors import macros_for_case
from macros.values import values_for

WORKERS = {Role.AGENT, Role.SUPERVISOR}


class Refusal(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()


class Changes(serializers.Serializer):
    status = serializers.CharField(required=False)
    priority = serializers.CharField(required=False)


class MacroOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    language = serializers.CharField(help_text="The customer's language, the text's language.")
    text = serializers.CharField(help_text="The reply as the customer would read it.")
    changes = Changes(help_text="What applying it changes besides replying.")
    root_cause = serializers.CharField(help_text="Recorded when it resolves the case.")
    refusal = Refusal(allow_null=True, help_text="Why the caller may not apply it now, or null.")


class ApplyInput(serializers.Serializer):
    macro = serializers.IntegerField(min_value=1)


class AppliedOutput(serializers.Serializer):
    case = s.CaseOutput()
    message = s.MessageOutput()
    changed = Changes()


def _macro_row(request, case, macro: Macro, values: dict) -> dict:
    text, changes, refusal = services.macro_preview(
        actor=request.user, case=case, macro=macro, values=values
    )
    return {
        "id": macro.pk,
        "name": macro.name,
        "language": case.customer.language,
        "text": text,
        "changes": changes,
        "root_cause": macro.set_root_cause,
        "refusal": {"code": refusal[0], "detail": refusal[1]} if refusal else None,
    }


class CaseMacrosView(APIView):
    permission_classes = [RolePermission]
    roles_by_action = {"get": WORKERS}

    @extend_schema(
        summary="The macros this case may use, filled for its customer",
        responses={200: MacroOutput(many=True), **errors(401, 403, 404)},
    )
    def get(self, request, reference: str):
        case = selectors.case_for_update(request.user, reference.upper())
        values = values_for(case, case.customer.language)  # once for all the case's macros
        rows = [_macro_row(request, case, macro, values) for macro in macros_for_case(case)]
        return Response(MacroOutput(rows, many=True).data)


class ApplyMacroView(APIView):
    permission_classes = [RolePermission]
    roles_by_action = {"post": WORKERS}

    @extend_schema(
        summary="Apply a macro: send its reply and make its changes, all or nothing",
        request=ApplyInput,
        parameters=[IDEMPOTENCY_HEADER],
        responses={200: AppliedOutput, **errors(400, 401, 403, 404, 409)},
    )
    @idempotent
    def post(self, request, reference: str):
        data = ApplyInput(data=request.data)
        data.is_valid(raise_exception=True)
        case = selectors.case_for_update(request.user, reference.upper())
        macro = macros_for_case(case).filter(pk=data.validated_data["macro"]).first()
        if macro is None:
            raise Invalid(
                {"macro": [_("No such macro for this case.")]}, code="macro_not_available"
            )
        applied = services.apply_macro(actor=request.user, case=case, macro=macro)
        case = selectors.with_list_related(type(case).objects.filter(pk=case.pk)).get()
        body = {"case": case, "message": applied.message, "changed": applied.changed}
        return Response(AppliedOutput(body, context={"request": request}).data)
