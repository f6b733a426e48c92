"""Case endpoints: input serializer → service → output serializer (spec/API.md)."""

from contextlib import contextmanager

from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.api.filters import FilterBackend, OrderingFilter
from backoffice.api.idempotency import idempotent
from backoffice.api.pagination import CasePagination
from backoffice.api.permissions import RolePermission
from backoffice.api.schema import ERRORS, IDEMPOTENCY_HEADER, LIST_BODY_400, ErrorBody, errors
from backoffice.errors import Conflict, Invalid, NotFound
from backoffice.roles import CASE_WORKERS, Role
from cases import permissions
from cases.choices import AttachmentSource, EventType
from cases.models import Case
from casework import selectors, services
from casework.api import examples
from casework.api import serializers as s
from casework.downloads import file_response
from casework.filtersets import CaseFilterSet
from casework.search import search_cases
from casework.views.paging import decode, encode

WORKERS = set(CASE_WORKERS)


class FileNegotiation(BaseContentNegotiation):
    """The file view answers with the file whatever the client accepts (`Accept: image/png`
    included), and with JSON for an error: no 406."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


AGENTS = {Role.AGENT, Role.SUPERVISOR}

# Optimistic concurrency, optional: `GET /cases/{reference}` and every action answer with the
# case's version as an `ETag` (the id of its latest timeline event); an action sent with
# `If-Match: "<version>"` is refused (412, code `case_changed`) when the case changed since. An
# action without `If-Match` is not checked, as before.
IF_MATCH = OpenApiParameter(
    "If-Match",
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "The case's `ETag` as you last read it. When the case changed since (a status change, "
        "an assignment, a message…), nothing is done and the answer is 412 `case_changed`."
    ),
)


CHANGED = {
    412: OpenApiResponse(
        ErrorBody, description="`If-Match` was sent and the case changed since (`case_changed`)."
    )
}


class CaseChanged(Conflict):
    status = 412
    default_code = "case_changed"


def _if_match(request) -> int | None:
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise Invalid({"If-Match": [_('Send the ETag of the case, like "123".')]})
    return int(value)


@contextmanager
def _unchanged_since_read(request, case: Case):
    """The action runs only if the case did not change since the version in `If-Match`."""
    version = _if_match(request)
    with transaction.atomic():
        if version is not None:
            changes = selectors.case_changes_since(case, version)
            if changes:
                what = pgettext("list separator", ", ").join(
                    _("%(change)s by %(actor)s")
                    % {
                        "change": EventType(e.type).label if e.type in EventType.values else e.type,
                        "actor": e.actor.get_username() if e.actor_id else _("the system"),
                    }
                    for e in changes
                )
                raise CaseChanged(
                    _(
                        "Case %(reference)s changed since version %(version)s (%(what)s); "
                        "read it again and decide again."
                    )
                    % {"reference": case.reference, "version": version, "what": what}
                )
        yield


def _with_etag(response: Response, case: Case) -> Response:
    response["ETag"] = f'"{selectors.case_version(case)}"'
    return response


def _context(request, **extra) -> dict:
    """`outside`: the caller is an intake system only, outside the staff: it is not told who
    works the case (a round-robin queue assigns on intake)."""
    user = request.user
    outside = permissions.is_outside_client(user)
    return {"request": request, "now": timezone.now(), "outside": outside, **extra}


def _as_query(raw: dict, valid: dict) -> QueryDict:
    """The validated search body as the list's query string would give it to the filterset (the
    text the client sent for times and `breached`, parsed there exactly as in the query)."""
    query = QueryDict(mutable=True)
    for name, value in valid.items():
        value = raw[name] if name in ("due_before", "created_after", "created_before") else value
        if name == "breached":
            value = "unknown" if value is None else ("true" if value else "false")
        query.setlist(name, [str(v) for v in value] if isinstance(value, list) else [str(value)])
    return query


@extend_schema_view(
    list=extend_schema(
        summary="List cases",
        parameters=[
            OpenApiParameter(
                "ordering", enum=["created_at", "-created_at", "next_due_at", "-next_due_at"]
            ),
        ],
        responses={200: s.CaseOutput(many=True), **errors(400, 401, 403)},
    ),
    retrieve=extend_schema(
        summary="A case with its timeline, SLA clocks, messages and refunds",
        responses={200: s.CaseDetailOutput, **errors(401, 403, 404)},
    ),
)
class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9-]{1,24}"
    permission_classes = [RolePermission]
    roles_by_action = {
        "list": WORKERS,
        "retrieve": WORKERS,
        "create": WORKERS | {Role.INTAKE},
        "assign": AGENTS,
        "reply": AGENTS,
        "messages": AGENTS | {Role.INTAKE},
        "transition": AGENTS,
        "extend": {Role.SUPERVISOR},
        "search": WORKERS,
        "attachments": WORKERS,
        "attachment": WORKERS,
    }
    filter_backends = [FilterBackend, OrderingFilter]
    filterset_class = CaseFilterSet
    ordering_fields = ["created_at", "next_due_at"]
    ordering = ["-created_at", "-id"]
    pagination_class = CasePagination

    def get_queryset(self):
        if self.action == "retrieve":
            return selectors.case_detail(self.request.user)
        return selectors.case_list(self.request.user)

    def get_serializer_class(self):
        return s.CaseDetailOutput if self.action == "retrieve" else s.CaseOutput

    def get_serializer_context(self):
        return _context(self.request)

    def retrieve(self, request, *args, **kwargs):
        case = self.get_object()
        timeline = list(selectors.case_timeline(case))
        context = _context(
            request,
            timeline=timeline,
            files=self._files(case),
        )
        response = Response(s.CaseDetailOutput(case, context=context).data)
        version = max((e.pk for e in timeline if e.case_id == case.pk), default=0)
        response["ETag"] = f'"{version}"'
        return response

    @staticmethod
    def _intake_only(request) -> bool:
        return permissions.is_outside_client(request.user)

    @extend_schema(
        summary="Search cases: the list's filters in a JSON body (keeps phone numbers out of URLs)",
        description=(
            "The same filters as `GET /api/v1/cases/`, as a JSON object (a list for each filter "
            "that repeats); a phone number searched for this way never reaches an access log. "
            "`ordering`, `page_size` and `cursor` stay in the query string: follow `next` with "
            "the same body."
        ),
        request=s.CaseSearchInput,
        parameters=[
            OpenApiParameter(
                "ordering", enum=["created_at", "-created_at", "next_due_at", "-next_due_at"]
            ),
        ],
        responses={200: s.CaseOutput(many=True), **errors(400, 401, 403)},
    )
    @action(detail=False, methods=["post"], filter_backends=[OrderingFilter])
    def search(self, request):
        body = s.CaseSearchInput(data=request.data)
        body.is_valid(raise_exception=True)
        filterset = CaseFilterSet(
            data=_as_query(request.data, body.validated_data),
            queryset=self.filter_queryset(self.get_queryset()),
            request=request,
        )
        if not filterset.is_valid():
            raise serializers.ValidationError(filterset.errors)
        page = self.paginate_queryset(filterset.qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def _case(self, request, reference: str) -> Case:
        if self._intake_only(request):
            case = Case.objects.select_related("queue").filter(reference=reference).first()
            if case is None:
                raise NotFound(_("No case %(reference)s.") % {"reference": reference})
            return case
        return selectors.case_for_update(request.user, reference)

    def _case_response(self, request, case: Case, code=status.HTTP_200_OK) -> Response:
        """The case after an action its caller was allowed to take (and so may see), or that they
        opened (intake clients see the case they created, nothing else)."""
        case = selectors.with_list_related(Case.objects.filter(pk=case.pk)).get()
        response = Response(s.CaseOutput(case, context=_context(request)).data, status=code)
        return _with_etag(response, case)

    @extend_schema(
        summary="Open a case (intake)",
        request=s.CaseIntakeInput,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: s.CaseOutput, **errors(400, 401, 403, 409)},
        examples=[
            examples.INTAKE_REQUEST,
            examples.CREDIT_INTAKE_REQUEST,
            examples.INTAKE_RESPONSE,
        ],
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        data = s.CaseIntakeInput(data=request.data)
        data.is_valid(raise_exception=True)
        opened = services.case_intake(actor=request.user, **data.to_kwargs())
        case = selectors.case_as_loaded(opened.case, flags=opened.flags, clocks=opened.clocks)
        return Response(
            s.CaseOutput(case, context=_context(request)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Assign the case (null: the caller claims it)",
        request=s.AssignInput,
        parameters=[IF_MATCH],
        responses={200: s.CaseOutput, **errors(400, 401, 403, 404, 409), **CHANGED},
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, reference=None):
        data = s.AssignInput(data=request.data)
        data.is_valid(raise_exception=True)
        case = self._case(request, reference)
        with _unchanged_since_read(request, case):
            case = services.case_assign(
                actor=request.user, case=case, assignee_username=data.validated_data["assignee"]
            )
        return self._case_response(request, case)

    @extend_schema(
        summary="Public reply (the first one is the first response) or internal note",
        request=s.ReplyInput,
        parameters=[IDEMPOTENCY_HEADER, IF_MATCH],
        responses={201: s.MessageOutput, **errors(400, 401, 403, 404, 409), **CHANGED},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def reply(self, request, reference=None):
        data = s.ReplyInput(data=request.data)
        data.is_valid(raise_exception=True)
        case = self._case(request, reference)
        with _unchanged_since_read(request, case):
            message = services.case_reply(actor=request.user, case=case, **data.validated_data)
        response = Response(s.MessageOutput(message).data, status=status.HTTP_201_CREATED)
        return _with_etag(response, case)

    @extend_schema(
        summary="A message from the customer (resumes a clock paused for the customer)",
        request=s.CustomerMessageInput,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: s.MessageOutput, **errors(400, 401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def messages(self, request, reference=None):
        data = s.CustomerMessageInput(data=request.data)
        data.is_valid(raise_exception=True)
        customer = data.validated_data.get("customer")
        if customer is None and self._intake_only(request):
            raise serializers.ValidationError({"customer": [_("This field is required.")]})
        case = self._case(request, reference)
        if customer is not None and not selectors.is_customer_of(case, customer["external_id"]):
            raise NotFound(
                _("No case %(reference)s.") % {"reference": reference}
            )  # as a case that does not exist: no probing
        message = services.case_customer_message(
            actor=request.user,
            case=case,
            body=data.validated_data["body"],
            files=data.validated_data["attachments"],
        )
        return Response(
            s.MessageOutput(message, context=_context(request)).data,
            status=status.HTTP_201_CREATED,
        )

    @staticmethod
    def _files(case: Case) -> list:
        found = selectors.case_files(case)
        for attachment in found:
            attachment.case = case
        return found

    @extend_schema(
        methods=["GET"],
        summary="The case's files (evidence), oldest first",
        responses={200: s.AttachmentOutput(many=True), **errors(401, 403, 404)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Upload a file to the case (agents): its bytes in base64",
        description=(
            "The type is recognised from the content (PNG, JPEG, GIF, WebP, PDF, plain text), "
            "never from the name or a declared type; the name's extension must agree. Refused "
            "with 400 naming `content`: empty, over ATTACHMENT_MAX_BYTES, a type not accepted "
            "(SVG and HTML never are), an extension that says another type. A body over "
            "DATA_UPLOAD_MAX_MEMORY_SIZE is a 413."
        ),
        request=s.AttachmentInput,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: s.AttachmentOutput, **errors(400, 401, 403, 404, 409, 413)},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def attachments(self, request, reference=None):
        case = selectors.case_for_update(request.user, reference)
        if request.method == "GET":
            found = self._files(case)
            return Response(s.AttachmentOutput(found, many=True, context=_context(request)).data)
        return self._upload(request, case)

    @idempotent
    def _upload(self, request, case: Case):
        data = s.AttachmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        attachment = services.attach(
            case=case,
            file=data.validated_data,
            source=AttachmentSource.API,
            actor=request.user,
            field="content",
        )
        attachment.case = case
        return Response(
            s.AttachmentOutput(attachment, context=_context(request)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="One file of the case, as it was stored",
        description=(
            "The bytes with the recognised `Content-Type`, `X-Content-Type-Options: nosniff`, "
            "a sandboxing `Content-Security-Policy`, and `Content-Disposition` (inline for "
            "images, attachment otherwise; `?download=1` always attachment) with the name "
            "encoded as RFC 6266/5987 say. 404 for a case or file outside the caller's scope."
        ),
        responses={(200, "*/*"): OpenApiTypes.BINARY, **errors(401, 403, 404)},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_id>[0-9]{1,18})",
        content_negotiation_class=FileNegotiation,
    )
    def attachment(self, request, reference=None, attachment_id=None):
        found = selectors.case_file(request.user, reference, int(attachment_id))
        return file_response(found, download=request.query_params.get("download") == "1")

    @extend_schema(
        summary="Change the status (resolved needs a root cause; resolved → in_progress reopens)",
        request=s.TransitionInput,
        parameters=[IF_MATCH],
        responses={200: s.CaseOutput, **errors(400, 401, 403, 404, 409), **CHANGED},
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, reference=None):
        data = s.TransitionInput(data=request.data)
        data.is_valid(raise_exception=True)
        case = self._case(request, reference)
        with _unchanged_since_read(request, case):
            case = services.case_transition(actor=request.user, case=case, **data.validated_data)
        return self._case_response(request, case)

    @extend_schema(
        summary="Extend the regulatory deadline one step (15 → 30 → 60 days)",
        request=s.ExtendInput,
        parameters=[IF_MATCH],
        responses={200: s.CaseOutput, **errors(400, 401, 403, 404, 409), **CHANGED},
    )
    @action(detail=True, methods=["post"])
    def extend(self, request, reference=None):
        data = s.ExtendInput(data=request.data)
        data.is_valid(raise_exception=True)
        case = self._case(request, reference)
        with _unchanged_since_read(request, case):
            case = services.case_extend_deadline(
                actor=request.user, case=case, reason=data.validated_data["reason"]
            )
        return self._case_response(request, case)


class OrderUpsertResult(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    orders = s.OrderOutput(many=True)


MAX_ORDERS_PER_REQUEST = 1000


class RechargeOrderView(APIView):
    """Upsert recharge orders by `order_id`: one object, or a list of up to 1,000."""

    permission_classes = [RolePermission]
    roles_by_action = {"post": {Role.INTAKE}}

    @extend_schema(
        summary="Upsert recharge orders (one or a list of up to 1,000)",
        request=PolymorphicProxySerializer(
            component_name="OrderInputOneOrList",
            serializers=[s.OrderInput, s.OrderInput(many=True)],
            resource_type_field_name=None,
            many=False,
        ),
        parameters=[IDEMPOTENCY_HEADER],
        examples=[examples.ORDERS_BULK_REQUEST, examples.ORDER_REQUEST],
        responses={
            200: OrderUpsertResult,
            201: OrderUpsertResult,
            400: LIST_BODY_400,
            **errors(401, 403, 409),
        },
    )
    @idempotent
    def post(self, request):
        many = isinstance(request.data, list)
        if many and len(request.data) > MAX_ORDERS_PER_REQUEST:
            raise serializers.ValidationError(
                {
                    "non_field_errors": [
                        _("At most %(n)d orders per request.") % {"n": MAX_ORDERS_PER_REQUEST}
                    ]
                }
            )
        data = s.OrderInput(data=request.data, many=many)
        data.is_valid(raise_exception=True)
        items = data.validated_data if many else [data.validated_data]
        try:
            orders, created = services.recharge_orders_upsert(
                actor=request.user, items=[services.OrderData(**item) for item in items]
            )
        except Invalid as exc:
            if many or set(exc.errors) != {"0"}:
                raise
            raise Invalid(exc.errors["0"], code=exc.code) from exc  # one order: its fields
        body = {
            "created": created,
            "updated": len(orders) - created,
            "orders": s.OrderOutput(orders, many=True).data,
        }
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


__all__ = ["ERRORS", "CaseViewSet", "RechargeOrderView"]


class WordSearchView(APIView):
    """`POST /api/v1/search/`: the top bar's search (exact values, then words), in the caller's
    scope; the list's `POST /api/v1/cases/search/` (filters) is unchanged."""

    permission_classes = [RolePermission]
    roles_by_action = {"post": WORKERS}

    @extend_schema(
        summary="Search everything a user may see: exact values first, then words",
        description=(
            "Exact matches (a case reference, a phone number in any format, an order id, a "
            "customer id) on the first page, then the cases whose subject, description, "
            "messages or customer name contain the term, newest first, 25 a page; follow "
            "`next` by sending it as `after` with the same `q`."
        ),
        request=s.WordSearchInput,
        responses={200: s.WordSearchOutput, **errors(400, 401, 403)},
    )
    def post(self, request):
        body = s.WordSearchInput(data=request.data)
        body.is_valid(raise_exception=True)
        after = None
        if "after" in body.validated_data:
            cursor = decode(body.validated_data["after"])
            if cursor is None:
                raise serializers.ValidationError(
                    {"after": [_("Not a page of this search; send `next` as it came.")]}
                )
            after = cursor[:2]
        results = search_cases(request.user, body.validated_data["q"], after=after)
        context = _context(request)
        return Response(
            {
                "exact": s.CaseOutput(results.exact, many=True, context=context).data,
                "words": s.CaseOutput(results.words, many=True, context=context).data,
                "words_searched": results.words_searched,
                "next": encode(*results.next_after, "n") if results.next_after else None,
            }
        )
