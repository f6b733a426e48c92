"""The IP watch list over the API: list it (supervisors, managers, finance), clear an IP
(supervisors). Input serializer → service → output serializer."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from backoffice.api.fields import StrictCharField
from backoffice.api.filters import FilterBackend
from backoffice.api.pagination import TotalOrderCursorPagination
from backoffice.api.permissions import RolePermission
from backoffice.api.schema import errors
from backoffice.api.serializers import ModelOutput
from backoffice.roles import Role
from risk import selectors
from risk.filtersets import FlaggedIpFilterSet
from risk.models import FlaggedIp
from risk.services import risk_ip_clear


class FlaggedIpOutput(ModelOutput):
    linked_open_cases = serializers.IntegerField(
        read_only=True, help_text="Open cases whose recharge order came from this IP"
    )
    cleared_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="Who cleared it"
    )

    class Meta:
        model = FlaggedIp
        fields = [
            "ip",
            "status",
            "first_seen",
            "last_seen",
            "failures",
            "burst_from",
            "burst_to",
            "linked_open_cases",
            "cleared_at",
            "cleared_by",
            "clear_reason",
        ]


class ClearInput(serializers.Serializer):
    reason = StrictCharField(max_length=500)


class WatchListPagination(TotalOrderCursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-last_seen", "-id")


IP_PARAMETER = OpenApiParameter(
    "ip", OpenApiTypes.STR, OpenApiParameter.PATH, description="IPv4 or IPv6 address"
)


@extend_schema_view(
    list=extend_schema(
        summary="The IP watch list (bursts of failed top-ups)",
        responses={200: FlaggedIpOutput(many=True), **errors(400, 401, 403)},
    ),
)
class FlaggedIpViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    lookup_field = "ip"
    lookup_value_regex = r"[0-9A-Fa-f:.]{2,45}"
    permission_classes = [RolePermission]
    roles_by_action = {
        "list": {Role.SUPERVISOR, Role.MANAGER, Role.FINANCE},
        "clear": {Role.SUPERVISOR},
    }
    serializer_class = FlaggedIpOutput
    filter_backends = [FilterBackend]
    filterset_class = FlaggedIpFilterSet
    pagination_class = WatchListPagination

    def get_queryset(self):
        return selectors.flagged_ip_list()

    @extend_schema(
        summary="Clear an IP from the watch list and the burst flags of its open cases",
        parameters=[IP_PARAMETER],
        request=ClearInput,
        responses={200: FlaggedIpOutput, **errors(400, 401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def clear(self, request, ip=None):
        data = ClearInput(data=request.data)
        data.is_valid(raise_exception=True)
        entry = risk_ip_clear(actor=request.user, ip=ip, reason=data.validated_data["reason"])
        return Response(FlaggedIpOutput(selectors.flagged_ip_list().get(pk=entry.pk)).data)
