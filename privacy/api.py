"""`POST /api/v1/customers/{external_id}/reveal/` {field, purpose, note?, case?} → {field, value}.

An API addition (docs/privacy.md): the full value of one personal field, for a role the reveal
table (`privacy/policy.py`) allows, with a purpose; it writes an access record and an audit entry.
A case the caller may not see is a 404 (never revealed); a customer that does not exist is a 404.
"""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.api.fields import StrictCharField
from backoffice.api.permissions import RolePermission
from backoffice.api.schema import errors
from backoffice.client_ip import client_ip
from backoffice.errors import NotFound
from backoffice.roles import Role
from cases import permissions
from cases.models import Case, Customer
from privacy.models import PersonalField, Purpose
from privacy.services import reveal

MAX_EXTERNAL_ID = Customer._meta.get_field("external_id").max_length
REVEALERS = {Role.AGENT, Role.SUPERVISOR, Role.FINANCE, Role.MANAGER}  # superusers pass too


class RevealInput(serializers.Serializer):
    field = serializers.ChoiceField(choices=PersonalField.choices)
    purpose = serializers.ChoiceField(choices=Purpose.choices)
    note = StrictCharField(max_length=500, required=False, allow_blank=True, default="")
    case = StrictCharField(
        max_length=32, required=False, allow_null=True, default=None, help_text="A reference"
    )


RevealOutput = inline_serializer(
    "RevealOutput",
    {
        "field": serializers.CharField(),
        "value": serializers.CharField(),
        "access_record": serializers.IntegerField(),
    },
)


def _visible_case(user, reference: str | None) -> Case | None:
    if not reference:
        return None
    case = Case.objects.filter(reference=reference.upper()).first()
    if case is None or not permissions.can_view_case(user, case):
        raise NotFound(_("No such case."))
    return case


class CustomerRevealView(APIView):
    permission_classes = [RolePermission]
    roles_by_action = {"post": REVEALERS}

    @extend_schema(
        summary="Reveal one personal field of a customer (with a purpose; access recorded)",
        parameters=[OpenApiParameter("external_id", OpenApiTypes.STR, OpenApiParameter.PATH)],
        request=RevealInput,
        responses={200: RevealOutput, **errors(400, 401, 403, 404)},
    )
    def post(self, request, external_id: str):
        data = RevealInput(data=request.data)
        data.is_valid(raise_exception=True)
        valid = data.validated_data
        case = _visible_case(request.user, valid["case"])
        customer = (
            Customer.objects.filter(external_id=external_id).first()
            if len(external_id) <= MAX_EXTERNAL_ID and external_id.isprintable()
            else None  # no such id can exist (and a NUL never reaches the database)
        )
        if customer is None:
            raise NotFound(_("No such customer."))
        revealed = reveal(
            actor=request.user,
            customer=customer,
            field=valid["field"],
            purpose=valid["purpose"],
            note=valid["note"],
            case=case,
            ip=client_ip(request),
        )
        return Response(
            {
                "field": valid["field"],
                "value": revealed.value,
                "access_record": revealed.record.pk,
            }
        )
