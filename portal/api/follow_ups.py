"""The satisfaction follow-ups over the API: list them (supervisors: their queues; managers: all),
close one with a note (supervisors of its queue). The list shares `SatisfactionFilterSet` with
the screen "满意度回访". Input serializer → service → output serializer."""

from drf_spectacular.utils import extend_schema, extend_schema_view
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
from portal import selectors, surveys
from portal.filtersets import SatisfactionFilterSet
from portal.models import Satisfaction


class FollowUpOutput(ModelOutput):
    case = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    queue = serializers.SlugRelatedField(slug_field="code", read_only=True)
    agent = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    follow_up_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Satisfaction
        fields = [
            "id",
            "case",
            "cycle",
            "queue",
            "agent",
            "category",
            "root_cause",
            "offered_at",
            "score",
            "comment",
            "answered_at",
            "follow_up",
            "follow_up_by",
            "follow_up_at",
            "follow_up_note",
        ]


class CloseInput(serializers.Serializer):
    note = StrictCharField(max_length=2000)


class FollowUpPagination(TotalOrderCursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-answered_at", "-id")


@extend_schema_view(
    list=extend_schema(
        summary="Satisfaction follow-ups (low scores), open and done",
        responses={200: FollowUpOutput(many=True), **errors(400, 401, 403)},
    ),
)
class FollowUpViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    lookup_value_regex = r"[0-9]{1,18}"  # a bigint: a longer or other id is no route (404)
    permission_classes = [RolePermission]
    roles_by_action = {"list": {Role.SUPERVISOR, Role.MANAGER}, "close": {Role.SUPERVISOR}}
    serializer_class = FollowUpOutput
    filter_backends = [FilterBackend]
    filterset_class = SatisfactionFilterSet
    pagination_class = FollowUpPagination

    def get_queryset(self):
        return selectors.follow_ups(self.request.user)

    @extend_schema(
        summary="Close an open follow-up with a note (a supervisor of its queue)",
        request=CloseInput,
        responses={200: FollowUpOutput, **errors(400, 401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        survey = self.get_object()
        data = CloseInput(data=request.data)
        data.is_valid(raise_exception=True)
        closed = surveys.follow_up_close(
            actor=request.user, survey=survey, note=data.validated_data["note"]
        )
        return Response(FollowUpOutput(self.get_queryset().get(pk=closed.pk)).data)
