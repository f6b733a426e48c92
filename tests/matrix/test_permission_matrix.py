"""Who may call what: one table of every API route × role → status, and the routes it must cover.

The expectations come from `roles_by_action` in `casework/api/views.py` and `refunds/api/views.py` (the
role gate: 401 without credentials, 403 for a role not listed) and from `cases/permissions.py` (the
object scope: agents and supervisors see their queues' cases and refunds, managers and finance see
all, superusers anything; an object outside the caller's scope is a 404, never revealed), then the
services' own rules (`refunds/services.py`: only the requester or a supervisor of the queue cancels;
retry needs a failed refund and settle one under review, so a pending refund answers 409). The
schema and the docs are public (drf-spectacular's `SERVE_PERMISSIONS` default); the token endpoint
needs credentials, not a role.

Every call runs against one case in the `recharge` queue with a pending 20.00 refund asked for by
another agent of that queue (approval tier "agent up to 100.00"), and one IP on the watch list
(which is not scoped by queue: any supervisor may clear it, `risk/services.py`).

A refused call (401/403/404/409) changes nothing: no row is created or altered anywhere.
A route under `api/v1/` without a row in the table fails `test_every_api_route_is_in_the_table`.
"""

import base64
import re
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from backoffice.audit.models import AuditEntry
from cases.choices import AttachmentSource
from cases.models import Attachment, Case, CaseEvent, CaseFlag, Customer, Message, RechargeOrder
from casework.services import IncomingFile, attach
from macros.models import Macro
from notifications.models import Notification
from refunds.models import Refund, RefundApproval
from refunds.services import refund_request
from risk.models import FlaggedIp
from sla.models import SlaClock
from tests.support.factories import UserFactory, open_case, staff

pytestmark = pytest.mark.django_db

PASSWORD = "pw-Secret-123"  # the factories' password
CASE_QUEUE, OTHER_QUEUE = "recharge", "credit"

# The columns of the table, in order.
ROLES = (
    "anonymous",
    "agent",  # agent of the case's queue
    "agent_elsewhere",  # agent of another queue
    "supervisor",  # supervisor of the case's queue
    "supervisor_elsewhere",  # supervisor of another queue
    "finance",
    "manager",
    "intake",
    "superuser",
)

REF, REFUND, IP, FILE, MACRO = "{reference}", "{pk}", "{ip}", "{attachment_id}", "{macro}"
CUSTOMER = "{external_id}"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
FILE_BODY = {"name": "截图.png", "content": base64.b64encode(PNG).decode()}
WATCHED_IP = "198.51.100.7"
CASE_BODY = {
    "channel": "app",
    "category": "recharge_not_credited",
    "subject": "充值50元未到账",
    "customer": {"external_id": "U-matrix", "phone": "+8613912345678"},
}
ORDER_BODY = {
    "order_id": "R-matrix",
    "phone": "+8613912345678",
    "face_value": "50.00",
    "amount_paid": "50.00",
    "status": "failed",
}
TOKEN_BODY = {"username": "token-owner", "password": PASSWORD}
REFUND_BODY = {
    "case": REF,
    "amount": "10.00",
    "reason": "充值失败，部分退款",
    "liability": "company",
}
CODES_BODY = {"a": "A0302", "b": "B0101", "c": "C09", "reason": "客户实际通过电话办理"}
SETTLE_BODY = {"outcome": "succeeded", "note": "The provider's ledger shows it paid."}

# fmt: off
# (method, path, JSON body): anonymous, agent, agent_elsewhere, supervisor, supervisor_elsewhere,
#                            finance, manager, intake, superuser
TABLE = [
    ("GET", "/api/v1/cases/", None,
        (401, 200, 200, 200, 200, 200, 200, 403, 200)),
    ("POST", "/api/v1/cases/search/", {"q": "+8613912345678"},
        (401, 200, 200, 200, 200, 200, 200, 403, 200)),
    ("POST", "/api/v1/search/", {"q": "+8613912345678"},
        (401, 200, 200, 200, 200, 200, 200, 403, 200)),
    ("GET", f"/api/v1/cases/{REF}/", None,
        (401, 200, 404, 200, 404, 200, 200, 403, 200)),
    ("POST", "/api/v1/cases/", CASE_BODY,
        (401, 201, 201, 201, 201, 201, 201, 201, 201)),
    ("POST", "/api/v1/cases/bulk/", {"cases": [CASE_BODY]},
        (401, 201, 201, 201, 201, 201, 201, 201, 201)),
    ("POST", f"/api/v1/cases/{REF}/assign/", {"assignee": None},
        (401, 200, 404, 200, 404, 403, 403, 403, 200)),
    ("POST", f"/api/v1/cases/{REF}/reply/", {"body": "We are looking into it."},
        (401, 201, 404, 201, 404, 403, 403, 403, 201)),
    ("POST", f"/api/v1/cases/{REF}/messages/",
        {"body": "Still not credited.", "customer": {"external_id": "U1001"}},
        (401, 201, 404, 201, 404, 403, 403, 201, 201)),
    ("GET", f"/api/v1/cases/{REF}/attachments/", None,
        (401, 200, 404, 200, 404, 200, 200, 403, 200)),
    ("POST", f"/api/v1/cases/{REF}/attachments/", FILE_BODY,
        (401, 201, 404, 201, 404, 403, 403, 403, 201)),
    ("GET", f"/api/v1/cases/{REF}/attachments/{FILE}/", None,
        (401, 200, 404, 200, 404, 200, 200, 403, 200)),
    ("POST", f"/api/v1/cases/{REF}/transition/", {"to": "in_progress"},
        (401, 200, 404, 200, 404, 403, 403, 403, 200)),
    ("GET", f"/api/v1/cases/{REF}/macros/", None,
        (401, 200, 404, 200, 404, 403, 403, 403, 200)),
    ("POST", f"/api/v1/cases/{REF}/macros/apply/", {"macro": MACRO},
        (401, 200, 404, 200, 404, 403, 403, 403, 200)),
    ("POST", f"/api/v1/cases/{REF}/extend/", {"reason": "Waiting for the carrier's records."},
        (401, 403, 403, 200, 404, 403, 403, 403, 200)),
    ("GET", f"/api/v1/cases/{REF}/regulatory-codes/", None,
        (401, 200, 404, 200, 404, 200, 200, 403, 200)),
    ("PATCH", f"/api/v1/cases/{REF}/regulatory-codes/", CODES_BODY,
        (401, 403, 404, 200, 404, 403, 403, 403, 200)),
    ("POST", "/api/v1/recharge-orders/", ORDER_BODY,
        (401, 403, 403, 403, 403, 403, 403, 201, 201)),
    ("POST", "/api/v1/auth/token/", TOKEN_BODY,
        (200, 200, 200, 200, 200, 200, 200, 200, 200)),
    ("GET", "/api/v1/schema/", None,
        (200, 200, 200, 200, 200, 200, 200, 200, 200)),
    ("GET", "/api/v1/docs/", None,
        (200, 200, 200, 200, 200, 200, 200, 200, 200)),
    # the SMS gateway's webhook: only an HMAC signature authenticates it, never a token or a session
    ("POST", "/api/v1/sms/events/", {"type": "delivery", "message_id": "x", "status": "delivered"},
        (401, 401, 401, 401, 401, 401, 401, 401, 401)),
    ("GET", "/api/v1/refunds/", None,
        (401, 200, 200, 200, 200, 200, 200, 403, 200)),
    ("GET", f"/api/v1/refunds/{REFUND}/", None,
        (401, 200, 404, 200, 404, 200, 200, 403, 200)),
    ("POST", "/api/v1/refunds/", REFUND_BODY,
        (401, 201, 404, 201, 404, 201, 403, 403, 201)),
    ("POST", f"/api/v1/refunds/{REFUND}/approve/", {"comment": "ok"},
        (401, 200, 404, 200, 404, 200, 403, 403, 200)),
    ("POST", f"/api/v1/refunds/{REFUND}/reject/", {"reason": "Not our fault."},
        (401, 200, 404, 200, 404, 200, 403, 403, 200)),
    ("POST", f"/api/v1/refunds/{REFUND}/cancel/", None,
        (401, 403, 404, 200, 404, 403, 403, 403, 200)),
    ("POST", f"/api/v1/refunds/{REFUND}/retry/", None,
        (401, 403, 403, 409, 404, 409, 403, 403, 409)),
    ("POST", f"/api/v1/refunds/{REFUND}/settle/", SETTLE_BODY,
        (401, 403, 403, 403, 403, 409, 403, 403, 409)),
    ("GET", "/api/v1/risk/flagged-ips/", None,
        (401, 403, 403, 200, 200, 200, 200, 403, 200)),
    ("POST", f"/api/v1/risk/flagged-ips/{IP}/clear/", {"reason": "The company's NAT gateway."},
        (401, 403, 403, 200, 200, 403, 403, 403, 200)),
    ("POST", f"/api/v1/customers/{CUSTOMER}/reveal/",
        {"field": "phone", "purpose": "contact_customer", "case": REF},
        (401, 200, 404, 200, 404, 200, 200, 403, 200)),
    ("GET", "/api/v1/reports/sla/", None,
        (401, 403, 403, 403, 403, 403, 200, 403, 200)),
    ("GET", "/api/v1/reports/root-causes/", None,
        (401, 403, 403, 403, 403, 403, 200, 403, 200)),
    ("GET", "/api/v1/reports/regulatory/", None,
        (401, 403, 403, 403, 403, 403, 200, 403, 200)),
    ("GET", "/api/v1/reports/csat/", None,
        (401, 403, 403, 403, 403, 403, 200, 403, 200)),
    # The satisfaction follow-ups; `{pk}` is no survey (none is offered: the case is not resolved).
    ("GET", "/api/v1/csat/follow-ups/", None,
        (401, 403, 403, 200, 200, 403, 200, 403, 200)),
    ("POST", f"/api/v1/csat/follow-ups/{REFUND}/close/", {"note": "已回访"},
        (401, 403, 403, 404, 404, 403, 403, 403, 404)),
]
# fmt: on

DENIED_CODES = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}
# Routes authenticated by a signature, not a token: their 401 says why the signature is refused
# (here: no secret configured) and asks for the signature.
SIGNED = {"/api/v1/sms/events/": ("webhook_not_configured", "HMAC-SHA256")}
REFUSED = {*DENIED_CODES, 409}
COUNTED = (
    Attachment,
    Case,
    CaseEvent,
    Message,
    AuditEntry,
    RechargeOrder,
    Customer,
    CaseFlag,
    SlaClock,
    Notification,
    Refund,
    RefundApproval,
)


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: dict | None
    role: str
    expected: int

    def __str__(self) -> str:
        return f"{self.method} {self.path} as {self.role} -> {self.expected}"


CALLS = [
    Call(method, path, body, role, expected)
    for method, path, body, row in TABLE
    for role, expected in zip(ROLES, row, strict=True)
]


@pytest.fixture(autouse=True)
def _no_throttle_carry_over():
    """The throttles count in the cache; start each test from zero."""
    cache.clear()


def make_user(role: str):
    if role == "anonymous":
        return None
    if role == "superuser":
        return UserFactory(username="root", is_superuser=True, is_staff=True)
    base, _, elsewhere = role.partition("_")
    if base in ("agent", "supervisor"):
        return staff(base, OTHER_QUEUE if elsewhere else CASE_QUEUE, username=role)
    return staff(base, username=role)


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def columns(instance) -> dict:
    instance.refresh_from_db()
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def state(case: Case, refund: Refund) -> tuple:
    """Every counted table's size, every column of the case and the refund under test, the watch
    list."""
    return (
        {model.__name__: model.objects.count() for model in COUNTED},
        columns(case),
        columns(refund),
        list(FlaggedIp.objects.order_by("pk").values()),
    )


def watch(ip: str) -> FlaggedIp:
    now = timezone.now()
    return FlaggedIp.objects.create(
        ip=ip, first_seen=now, last_seen=now, failures=12, burst_from=now, burst_to=now
    )


def a_case_with_a_pending_refund() -> tuple[Case, Refund]:
    case = open_case()
    assert case.queue.code == CASE_QUEUE
    requester = staff("agent", CASE_QUEUE, username="requester")
    refund = refund_request(
        actor=requester, case=case, amount="20.00", reason="充值失败", liability="company"
    )
    assert (refund.status, refund.approvals_needed) == ("pending_approval", 1)
    attach(
        case=case,
        file=IncomingFile(name="截图.png", data=PNG),
        source=AttachmentSource.WORKSPACE,
        actor=requester,
    )
    return case, refund


def substitute(value, case: Case, refund: Refund):
    if isinstance(value, dict):
        return {key: substitute(item, case, refund) for key, item in value.items()}
    if isinstance(value, str):
        return (
            value.replace(REF, case.reference)
            .replace(REFUND, str(refund.pk))
            .replace(IP, WATCHED_IP)
            .replace(FILE, str(case.attachments.get().pk))
            .replace(MACRO, str(Macro.objects.get(name="matrix").pk))
            .replace(CUSTOMER, case.customer.external_id)
        )
    return value


@pytest.mark.parametrize("call", CALLS, ids=str)
def test_permission_matrix(call: Call):
    case, refund = a_case_with_a_pending_refund()
    watch(WATCHED_IP)
    Macro.objects.create(name="matrix", text_zh="您好，{reference} 已受理。", text_en="{reference}")
    staff("agent", CASE_QUEUE, username="token-owner")
    client = client_for(make_user(call.role))
    path, body = substitute(call.path, case, refund), substitute(call.body, case, refund)
    before = state(case, refund)

    if call.method == "GET":
        response = client.get(path)
    else:
        response = getattr(client, call.method.lower())(path, body, format="json")

    assert response.status_code == call.expected, (call, response.content[:500])
    code, scheme = SIGNED.get(path, (DENIED_CODES.get(call.expected), "Token"))
    if call.expected in DENIED_CODES:
        assert response.json() == {"detail": response.json()["detail"], "code": code}
    if call.expected in REFUSED:
        assert state(case, refund) == before, f"{call} changed data"
    if call.expected == 401:
        assert response["WWW-Authenticate"] == scheme


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        ("agent", {"recharge"}),
        ("agent_elsewhere", {"credit"}),
        ("supervisor", {"recharge"}),
        ("supervisor_elsewhere", {"credit"}),
        ("finance", {"recharge", "credit"}),
        ("manager", {"recharge", "credit"}),
        ("superuser", {"recharge", "credit"}),
    ],
)
def test_case_list_shows_only_cases_in_scope(role, visible):
    cases = {
        "recharge": open_case(),
        "credit": open_case(category="credit_limit_unusable", order=None, customer_id="U2002"),
    }
    assert {code: case.queue.code for code, case in cases.items()} == {
        "recharge": CASE_QUEUE,
        "credit": OTHER_QUEUE,
    }

    response = client_for(make_user(role)).get("/api/v1/cases/")

    assert response.status_code == 200
    assert [row["reference"] for row in response.json()["results"]] == [
        cases[code].reference for code in ("credit", "recharge") if code in visible
    ]


def test_a_bad_token_is_401_and_changes_nothing():
    case, refund = a_case_with_a_pending_refund()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    before = state(case, refund)

    response = client.post(f"/api/v1/cases/{case.reference}/reply/", {"body": "x"}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert state(case, refund) == before


def test_token_requests_see_role_and_activity_changes_at_once():
    """The token's query reads the roles along (backoffice.api.authentication): a role taken away
    or a user deactivated between two requests is refused on the second."""
    manager = make_user("manager")
    client = client_for(manager)
    assert client.get("/api/v1/cases/").status_code == 200

    manager.groups.clear()
    response = client.get("/api/v1/cases/")
    assert response.status_code == 403

    manager.groups.add(Group.objects.get(name="manager"))
    assert client.get("/api/v1/cases/").status_code == 200
    manager.is_active = False
    manager.save(update_fields=["is_active"])
    response = client.get("/api/v1/cases/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


# --- every route under api/v1/ has a row ---------------------------------------------------------

_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
_SKIPPED_METHODS = {"head", "options", "trace"}


def _as_path(pattern: str) -> str:
    pattern = _NAMED_GROUP.sub(r"{\1}", pattern)
    pattern = _CONVERTER.sub(r"{\1}", pattern)
    return "/" + pattern.replace("^", "").replace("$", "").replace("\\", "")


def _methods(callback) -> set[str]:
    actions = getattr(callback, "actions", None)  # a DRF viewset route: {method: action}
    if actions:
        return {method.upper() for method in actions if method not in _SKIPPED_METHODS}
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    assert view_class is not None, f"cannot tell the methods of {callback!r}"
    return {
        method.upper()
        for method in view_class.http_method_names
        if method not in _SKIPPED_METHODS and hasattr(view_class, method)
    }


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def api_routes() -> set[tuple[str, str]]:
    routes = set()
    for pattern, callback in _walk(get_resolver().url_patterns):
        path = _as_path(pattern)
        if path.startswith("/api/v1/"):
            routes |= {(method, path) for method in _methods(callback)}
    return routes


def test_every_api_route_is_in_the_table():
    routes = api_routes()
    table = {(method, path) for method, path, _, _ in TABLE}

    assert routes - table == set(), "API routes without a row in the permission matrix"
    assert table - routes == set(), "rows in the permission matrix for routes that do not exist"
