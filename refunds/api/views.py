"""Refund endpoints (spec/API.md, Refunds): input serializer → service → output serializer."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from backoffice.api.filters import FilterBackend
from backoffice.api.idempotency import idempotent
from backoffice.api.pagination import CasePagination
from backoffice.api.permissions import RolePermission
from backoffice.api.schema import IDEMPOTENCY_HEADER, errors
from backoffice.roles import CASE_WORKERS, Role
from casework.selectors import case_for_update
from refunds import selectors, services
from refunds.api import serializers as s
from refunds.api.examples import REFUND_REQUEST
from refunds.filtersets import RefundFilterSet

WORKERS = set(CASE_WORKERS)
DECIDERS = {Role.AGENT, Role.SUPERVISOR, Role.FINANCE}


class RefundPagination(CasePagination):
    ordering = ("-created_at", "-id")


@extend_schema_view(
    list=extend_schema(
        summary="List refunds", responses={200: s.RefundOutput(many=True), **errors(400, 401, 403)}
    ),
    retrieve=extend_schema(
        summary="A refund with its approvals and attempts",
        responses={200: s.RefundOutput, **errors(401, 403, 404)},
    ),
)
class RefundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.RefundOutput
    permission_classes = [RolePermission]
    roles_by_action = {
        "list": WORKERS,
        "retrieve": WORKERS,
        "create": WORKERS - {Role.MANAGER},
        "approve": DECIDERS,
        "reject": DECIDERS,
        "cancel": DECIDERS,
        "retry": {Role.SUPERVISOR, Role.FINANCE},
        "settle": {Role.FINANCE},
    }
    filter_backends = [FilterBackend]
    filterset_class = RefundFilterSet
    pagination_class = RefundPagination

    def get_queryset(self):
        return selectors.refund_list(self.request.user)

    def _refund(self):
        return self.get_object()

    def _out(self, refund, code=status.HTTP_200_OK):
        refund = selectors.refund_list(self.request.user).get(pk=refund.pk)
        return Response(s.RefundOutput(refund).data, status=code)

    @extend_schema(
        summary="Ask for a refund (it waits for approval)",
        request=s.RefundRequestInput,
        parameters=[IDEMPOTENCY_HEADER],
        examples=[REFUND_REQUEST],
        responses={201: s.RefundOutput, **errors(400, 401, 403, 404, 409)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        data = s.RefundRequestInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        case = case_for_update(request.user, values.pop("case"))
        refund = services.refund_request(actor=request.user, case=case, **values)
        return self._out(refund, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Approve",
        request=s.ApproveInput,
        responses={200: s.RefundOutput, **errors(400, 401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        data = s.ApproveInput(data=request.data)
        data.is_valid(raise_exception=True)
        refund = services.refund_approve(
            actor=request.user, refund=self._refund(), **data.validated_data
        )
        return self._out(refund)

    @extend_schema(
        summary="Reject",
        request=s.RejectInput,
        responses={200: s.RefundOutput, **errors(400, 401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        data = s.RejectInput(data=request.data)
        data.is_valid(raise_exception=True)
        refund = services.refund_reject(
            actor=request.user, refund=self._refund(), reason=data.validated_data["reason"]
        )
        return self._out(refund)

    @extend_schema(
        summary="Withdraw a refund waiting for approval, or give up a failed one",
        description=(
            "Pending: the requester or a supervisor of the case. Failed (it counts toward the "
            "order's and customer's cumulative amount until cancelled): finance or a supervisor."
        ),
        request=None,
        responses={200: s.RefundOutput, **errors(401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        refund = services.refund_cancel(actor=request.user, refund=self._refund())
        return self._out(refund)

    @extend_schema(
        summary="Send a failed refund again (a new attempt)",
        description=(
            "The tier is decided again on everything paid or in flight. If the approvals the "
            "refund holds no longer cover it, the refund goes back to `pending_approval` in a new "
            "`approval_round` and nothing is paid until fresh approvals arrive."
        ),
        request=None,
        responses={200: s.RefundOutput, **errors(401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        refund = services.refund_retry(actor=request.user, refund=self._refund())
        return self._out(refund)

    @extend_schema(
        summary="Finance settles a refund under review",
        request=s.SettleInput,
        responses={200: s.RefundOutput, **errors(400, 401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def settle(self, request, pk=None):
        data = s.SettleInput(data=request.data)
        data.is_valid(raise_exception=True)
        refund = services.refund_settle(
            actor=request.user, refund=self._refund(), **data.validated_data
        )
        return self._out(refund)
