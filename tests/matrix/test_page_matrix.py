"""Who may open which staff page: one table of every staff HTML route × role → status, and the
routes it must cover.

The expectations come from the views' role gates (`casework/views/base.py` `StaffRequiredMixin`: the
login page for anonymous users, 403 for a role not listed; `refunds/views.py`: approvers are the
roles of an approval tier; `reports/views.py`: managers), the object scope of
`cases/permissions.py` (agents and supervisors see their queues' cases, finance and managers all of
them; a case, queue or refund outside the caller's scope is a 404, never revealed) and then the
services' own rules, which the screens show as a message; the POSTs are sent as htmx requests, so
the answer carries the service's status (403 refused, 409 conflict) instead of a redirect.

Every call runs against fresh data: a recharge case with a pending 20.00 refund asked for by another
agent of the queue and a contact change an intake sent for its customer (held for an agent), a
second case of the same customer (to merge into, and to link to the incident), a credit-limit case
(the sub-cause and checklist routes), a general-queue case, and an open incident linking the
recharge case and the general one: one case in and one out of each supervisor's scope. "The case's
queue" is recharge and credit: `agent` and `supervisor` are members of both, `agent_elsewhere` and
`supervisor_elsewhere` of the general queue only.

Beyond the status: after every call, each case outside the queues the role may change cases in
(`CHANGES_IN`, written here from the roles' definitions, not asked of the code) keeps every column,
its events and its outbox. Function views answer any HTTP method unless they say otherwise, so
the route check gives them every method, and each has a row.

A refused POST (302 to the login page, 403, 404, 405, 409, or a 200 that only shows a refusal —
`NOOP`, the lists' bulk claim) changes nothing: no row is created or altered anywhere. An accepted
one changes something. A staff route without a row in the table fails
`test_every_staff_route_is_in_the_table`.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import get_resolver, reverse

from backoffice.audit.models import AuditEntry
from cases.choices import AttachmentSource
from cases.models import Attachment, Case, CaseEvent, ContactChange, Incident, Message
from casework.services import IncomingFile, attach, incident_link, incident_open
from casework.services.contacts import hold_contact_change
from desk.models import Notification as DeskNotification
from desk.models import SavedView
from macros.models import Macro
from notifications.models import Notification
from portal.models import CustomerLink
from refunds.models import Refund, RefundApproval
from refunds.services import refund_request
from sla.models import SlaClock
from tests.matrix.test_permission_matrix import ROLES, _as_path, _methods, _walk
from tests.support.factories import UserFactory, credit, open_case, order_data, staff

pytestmark = pytest.mark.django_db

# The columns of the table: the API matrix's roles, in its order.
LOGIN = "login"  # 302 to the login page
NOOP = "noop"  # 200, the page shows a refusal, nothing changes

CASE, TWIN, CREDIT, REFUND, INCIDENT = "{case}", "{twin}", "{credit}", "{refund}", "{incident}"
CHANGE = "{change}"
UPLOAD = "{upload}"  # a fresh PNG upload for each call
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\xdac\xfc\xcf\xf0P\x0f\x00\x03\x86\x01\x80Z4}k\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)
MACRO = "{macro}"
NEW_PHONE = "+8613800000001"
INCIDENT_CODE = "cm-outage-1"

# The object each route's placeholders are filled with (by route prefix; the case otherwise).
FILL = {
    "/cases/{reference}/incident/": TWIN,  # the case is linked already
    "/cases/{reference}/checklist/": CREDIT,
    "/cases/{reference}/sub-cause/": CREDIT,
    "/incidents/{code}/": INCIDENT,
    "/queues/{code}/": "recharge",
}


def filler(route: str) -> str:
    return next((FILL[p] for p in FILL if route.startswith(p)), CASE)


BULK = {"action": "claim", "cases": [CASE]}
REFUND_BODY = {"amount": "10.00", "liability": "company", "reason": "充值失败，部分退款"}
RESOLVE = {"root_cause": "system_fault", "note": "The carrier's gateway is fixed."}

# fmt: off
# (method, route, form body): anonymous, agent, agent_elsewhere, supervisor,
#                             supervisor_elsewhere, finance, manager, intake, superuser
TABLE = [
    ("GET", "/", None, (LOGIN, 302, 302, 302, 302, 302, 302, 200, 302)),
    # `home` is a function view: GET and HEAD only (`require_safe`), before the login check.
    *[(m, "/", {}, (405,) * 9) for m in ("POST", "PUT", "PATCH", "DELETE")],
    ("GET", "/queues/", None, (LOGIN, 200, 200, 200, 200, 200, 200, 403, 200)),
    ("GET", "/queues/{code}/", None, (LOGIN, 200, 404, 200, 404, 200, 200, 403, 200)),
    ("POST", "/queues/{code}/", BULK, (LOGIN, 200, 404, 200, 404, NOOP, NOOP, 403, 200)),
    ("GET", "/cases/", None, (LOGIN, 403, 403, 200, 200, 200, 200, 403, 200)),
    ("POST", "/cases/", BULK, (LOGIN, 403, 403, 200, NOOP, NOOP, NOOP, 403, 200)),
    # The case list's export (privacy.views.CaseExportView): the roles of "all queues"; read
    # only (an ExportRecord, not a change of anything under test).
    ("GET", "/cases/export/", None, (LOGIN, 403, 403, 200, 200, 200, 200, 403, 200)),
    ("GET", "/cases/mine/", None, (LOGIN, 200, 200, 200, 200, 403, 403, 403, 200)),
    # "Next case" claims the most urgent unassigned case of the caller's queues (a superuser's:
    # every queue) and opens it; a GET (a reload) claims nothing and goes to the queues.
    ("GET", "/cases/next/", None, (LOGIN, 302, 302, 302, 302, 403, 403, 403, 302)),
    ("POST", "/cases/next/", {}, (LOGIN, 302, 302, 302, 302, 403, 403, 403, 302)),
    ("POST", "/cases/mine/", BULK, (LOGIN, 200, NOOP, 200, NOOP, 403, 403, 403, 200)),
    # The top bar's search: every staff role that reads cases (each finds its own scope's).
    ("GET", "/search/", None, (LOGIN, 200, 200, 200, 200, 200, 200, 403, 200)),
    ("GET", "/cases/{reference}/", None, (LOGIN, 200, 404, 200, 404, 200, 200, 403, 200)),
    # Its timeline's older pages (without `before`: the newest), as the workspace decides.
    ("GET", "/cases/{reference}/timeline/", None, (LOGIN, 200, 404, 200, 404, 200, 200, 403, 200)),
    # The case's actions: a GET (a reload) goes back to the workspace, which decides who sees it.
    *[
        ("GET", f"/cases/{{reference}}/{action}/", None,
            (LOGIN, 302, 302, 302, 302, 302, 302, 403, 302))
        for action in ("claim", "assign", "reply", "status", "extend", "incident", "merge",
                       "checklist", "sub-cause", "refunds", "contact", "files", "macro",
                       "regulatory-codes", "reveal", "customer-links")
    ],
    ("GET", "/cases/{reference}/customer-links/{pk}/revoke/", None,
        (LOGIN, 302, 302, 302, 302, 302, 302, 403, 302)),
    ("POST", "/cases/{reference}/claim/", {},
        (LOGIN, 200, 404, 200, 404, 403, 403, 403, 200)),
    ("POST", "/cases/{reference}/assign/", {"assignee": "teammate"},
        (LOGIN, 403, 404, 200, 404, 403, 403, 403, 200)),
    ("POST", "/cases/{reference}/reply/", {"body": "We are looking into it.", "kind": "reply"},
        (LOGIN, 200, 404, 200, 404, 403, 403, 403, 200)),
    ("POST", "/cases/{reference}/status/", {"to": "waiting_customer"},
        (LOGIN, 200, 404, 200, 404, 403, 403, 403, 200)),
    ("POST", "/cases/{reference}/extend/", {"reason": "Waiting for the carrier's records."},
        (LOGIN, 403, 404, 200, 404, 403, 403, 403, 200)),
    # Linking asks the same policy as resolving the case one by one: a manager who is no member
    # of the queue sees the case but links nothing.
    ("POST", "/cases/{reference}/incident/", {"incident": INCIDENT_CODE},
        (LOGIN, 403, 404, 200, 404, 403, 403, 403, 200)),
    ("POST", "/cases/{reference}/merge/", {"into": TWIN},
        (LOGIN, 200, 404, 200, 404, 403, 403, 403, 200)),
    ("POST", "/cases/{reference}/checklist/", {"item": "0", "done": "1"},
        (LOGIN, 200, 404, 200, 404, 403, 403, 403, 200)),
    ("POST", "/cases/{reference}/sub-cause/", {"sub_cause": "system_error"},
        (LOGIN, 200, 404, 200, 404, 403, 403, 403, 200)),
    ("POST", "/cases/{reference}/regulatory-codes/",
        {"a": "A0302", "b": "B0101", "c": "C09", "reason": "客户实际通过电话办理"},
        (LOGIN, 403, 404, 200, 404, 403, 403, 403, 200)),
    ("POST", "/cases/{reference}/refunds/", REFUND_BODY,
        (LOGIN, 200, 404, 200, 404, 200, 403, 403, 200)),
    ("POST", "/cases/{reference}/macro/", {"macro": MACRO, "previewed": MACRO, "step": "apply"},
        (LOGIN, 200, 404, 200, 404, 403, 403, 403, 200)),
    ("POST", "/cases/{reference}/contact/", {"change": CHANGE, "decision": "confirm"},
        (LOGIN, 200, 404, 200, 404, 403, 403, 403, 200)),
    # A reveal (privacy/policy.py): agents of the queue see the phone, supervisors of it every
    # field, finance the phone and managers every field of any case they see; writes an access
    # record and an audit entry.
    ("POST", "/cases/{reference}/reveal/", {"field": "phone", "purpose": "contact_customer"},
        (LOGIN, 200, 404, 200, 404, 200, 200, 403, 200)),
    # The customer's status link: who works the case issues one; the case's agent or a
    # supervisor revokes one (the world's case is not assigned: its agent may not).
    ("POST", "/cases/{reference}/customer-links/", {},
        (LOGIN, 200, 404, 200, 404, 403, 403, 403, 200)),
    ("POST", "/cases/{reference}/customer-links/{pk}/revoke/", {"reason": "号码已转让"},
        (LOGIN, 403, 404, 200, 404, 403, 403, 403, 200)),
    # The workspace's presence heartbeat: kept in the cache, never in the database (so an
    # accepted beat is a NOOP here); a case outside the caller's scope is a 404.
    ("POST", "/cases/{reference}/presence/", {"writing": "1"},
        (LOGIN, NOOP, 404, NOOP, 404, NOOP, NOOP, 403, NOOP)),
    # Evidence: agents of the queue upload; whoever sees the case opens its files.
    ("POST", "/cases/{reference}/files/", {"file": UPLOAD},
        (LOGIN, 200, 404, 200, 404, 403, 403, 403, 200)),
    ("GET", "/cases/{reference}/files/{pk}/", None,
        (LOGIN, 200, 404, 200, 404, 200, 200, 403, 200)),
    ("GET", "/approvals/", None, (LOGIN, 200, 200, 200, 200, 200, 403, 403, 200)),
    ("GET", "/approvals/{pk}/approve/", None, (LOGIN, 302, 302, 302, 302, 302, 403, 403, 302)),
    ("POST", "/approvals/{pk}/approve/", {"comment": "ok"},
        (LOGIN, 200, 404, 200, 404, 200, 403, 403, 200)),
    ("GET", "/approvals/{pk}/reject/", None, (LOGIN, 302, 302, 302, 302, 302, 403, 403, 302)),
    ("POST", "/approvals/{pk}/reject/", {"reason": "非平台责任"},
        (LOGIN, 200, 404, 200, 404, 200, 403, 403, 200)),
    # The finance console: finance, managers and supervisors; each action as its service rules
    # (the world's refund waits for approval: nothing to retry or settle, its supervisor cancels).
    ("GET", "/finance/", None, (LOGIN, 403, 403, 200, 200, 200, 200, 403, 200)),
    *[
        ("GET", f"/finance/{{pk}}/{action}/", None,
            (LOGIN, 403, 403, 302, 302, 302, 302, 403, 302))
        for action in ("retry", "settle", "cancel")
    ],
    ("POST", "/finance/{pk}/retry/", {"seen_attempts": "0"},
        (LOGIN, 403, 403, 409, 404, 409, 403, 403, 409)),
    ("POST", "/finance/{pk}/settle/", {"outcome": "failed", "note": "ledger checked"},
        (LOGIN, 403, 403, 403, 404, 409, 403, 403, 409)),
    ("POST", "/finance/{pk}/cancel/", {"reason": "customer withdrew"},
        (LOGIN, 403, 403, 200, 404, 403, 403, 403, 200)),
    ("GET", "/incidents/", None, (LOGIN, 403, 403, 200, 200, 403, 200, 403, 200)),
    ("GET", "/incidents/new/", None, (LOGIN, 403, 403, 200, 200, 403, 200, 403, 200)),
    ("POST", "/incidents/new/", {"code": "cm-outage-2", "title": "China Mobile top-ups fail"},
        (LOGIN, 403, 403, 302, 302, 403, 302, 403, 302)),
    # FormView answers PUT like POST, but reads no form from a PUT body: the form is invalid.
    ("PUT", "/incidents/new/", {"code": "cm-outage-2", "title": "China Mobile top-ups fail"},
        (LOGIN, 403, 403, 400, 400, 403, 400, 403, 400)),
    ("GET", "/incidents/{code}/", None, (LOGIN, 403, 403, 200, 200, 403, 200, 403, 200)),
    ("GET", "/incidents/{code}/link/", None, (LOGIN, 403, 403, 302, 302, 403, 302, 403, 302)),
    ("POST", "/incidents/{code}/link/", {"references": TWIN},
        (LOGIN, 403, 403, 200, 400, 403, 403, 403, 200)),
    ("GET", "/incidents/{code}/resolve/", None, (LOGIN, 403, 403, 302, 302, 403, 302, 403, 302)),
    # Each supervisor resolves the linked case of her queues and leaves the other alone (the
    # incident stays open); a manager of no queue resolves nothing.
    ("POST", "/incidents/{code}/resolve/", RESOLVE,
        (LOGIN, 403, 403, 200, 200, 403, 403, 403, 200)),
    # The desk: every case worker has an inbox and saved views. The `{pk}` of the inbox is a
    # teammate's notification (nobody else opens or marks it); of the views, a view the requester
    # shared with the recharge queue (its members open it; only its owner shares or deletes it).
    ("GET", "/desk/inbox/", None, (LOGIN, 200, 200, 200, 200, 200, 200, 403, 200)),
    ("GET", "/desk/inbox/badge/", None, (204, 200, 200, 200, 200, 200, 200, 204, 200)),
    ("POST", "/desk/inbox/read-all/", {}, (LOGIN, 302, 302, 302, 302, 302, 302, 403, 302)),
    ("POST", "/desk/inbox/{pk}/open/", {}, (LOGIN, 404, 404, 404, 404, 404, 404, 403, 404)),
    ("POST", "/desk/inbox/{pk}/read/", {}, (LOGIN, 404, 404, 404, 404, 404, 404, 403, 404)),
    ("GET", "/desk/views/", None, (LOGIN, 200, 200, 200, 200, 200, 200, 403, 200)),
    ("POST", "/desk/views/", {"name": "p1", "query": "priority=p1", "path": "/cases/mine/"},
        (LOGIN, 302, 302, 302, 302, 302, 302, 403, 302)),
    ("GET", "/desk/views/{pk}/", None, (LOGIN, 302, 404, 302, 404, 404, 404, 403, 404)),
    ("POST", "/desk/views/{pk}/share/", {"queue": "recharge"},
        (LOGIN, 403, 404, 403, 404, 404, 404, 403, 404)),
    ("POST", "/desk/views/{pk}/delete/", {}, (LOGIN, 403, 404, 403, 404, 404, 404, 403, 404)),
    *[
        ("GET", f"/reports/{page}", None, (LOGIN, 403, 403, 403, 403, 403, 200, 403, 200))
        for page in (
            "", "breaches/", "ageing/", "root-causes/", "refunds/", "deadlines/", "regulatory/",
            "csat/",
        )
    ],
    # Held inbound mail: agents, supervisors and managers; the world holds none (`{pk}`: 404).
    ("GET", "/inbound/held/", None, (LOGIN, 200, 200, 200, 200, 403, 200, 403, 200)),
    *[
        ("GET", f"/inbound/held/{{pk}}/{action}/", None,
            (LOGIN, 302, 302, 302, 302, 403, 302, 403, 302))
        for action in ("attach", "discard")
    ],
    ("POST", "/inbound/held/{pk}/attach/", {"reference": CASE},
        (LOGIN, 404, 404, 404, 404, 403, 404, 403, 404)),
    ("POST", "/inbound/held/{pk}/discard/", {"reason": "spam"},
        (LOGIN, 404, 404, 404, 404, 403, 404, 403, 404)),
    # Satisfaction follow-ups (满意度回访): supervisors (their queues) and managers list them; the
    # `{pk}` is no survey (tests/portal/test_follow_up_screens.py closes real ones, by role).
    ("GET", "/csat/follow-ups/", None, (LOGIN, 403, 403, 200, 200, 403, 200, 403, 200)),
    ("POST", "/csat/follow-ups/{pk}/close/", {"note": "已回访"},
        (LOGIN, 404, 404, 404, 404, 404, 404, 403, 404)),
]
# fmt: on

REFUSED = {LOGIN, NOOP, 400, 403, 404, 405, 409}

# The queues each role may change cases in (PRODUCT.md and the actors of docs/security.md):
# agents and supervisors their queues', finance any case's refunds, a manager none by themselves.
ALL_QUEUES = frozenset({"recharge", "credit", "general"})
CHANGES_IN = {
    "anonymous": frozenset(),
    "agent": frozenset({"recharge", "credit"}),
    "agent_elsewhere": frozenset({"general"}),
    "supervisor": frozenset({"recharge", "credit"}),
    "supervisor_elsewhere": frozenset({"general"}),
    "finance": ALL_QUEUES,
    "manager": frozenset(),
    "intake": frozenset(),
    "superuser": ALL_QUEUES,
}
COUNTED = (
    Attachment,
    Case,
    CaseEvent,
    Message,
    AuditEntry,
    Refund,
    RefundApproval,
    Incident,
    SlaClock,
    Notification,
    DeskNotification,
    SavedView,
)


ROWS = {f"{method} {route}": (method, route, body, row) for method, route, body, row in TABLE}
assert len(ROWS) == len(TABLE), "two rows for one route"


@dataclass
class World:
    case: Case
    twin: Case
    credit: Case
    outside: Case
    refund: Refund
    incident: Incident
    change: ContactChange
    attachment: Attachment
    note: DeskNotification
    view: SavedView
    macro: Macro

    @property
    def cases(self) -> list[Case]:
        return [self.case, self.twin, self.credit, self.outside]

    def fill(self, route: str) -> str:
        target = filler(route)
        values = {
            CASE: self.case.reference,
            TWIN: self.twin.reference,
            CREDIT: self.credit.reference,
            INCIDENT: self.incident.code,
        }
        key = values.get(target, target)
        pk = {
            "/desk/inbox/": self.note.pk,
            "/desk/views/": self.view.pk,
            "/csat/follow": 2**31 - 1,  # no survey
        }.get(route[: len("/desk/inbox/")], self.refund.pk)
        if "/files/" in route:
            pk = self.attachment.pk
        if "/customer-links/" in route:  # the acknowledgement's link
            pk = CustomerLink.objects.filter(case=self.case).order_by("pk").first().pk
        return route.format(reference=key, code=key, pk=pk)

    def substitute(self, value):
        if isinstance(value, dict):
            return {k: self.substitute(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.substitute(v) for v in value]
        return (
            {
                CASE: self.case.reference,
                TWIN: self.twin.reference,
                CHANGE: str(self.change.pk),
                MACRO: str(self.macro.pk),
            }.get(value, value)
            if value != UPLOAD
            else SimpleUploadedFile("截图.png", PNG)
        )

    def untouchable(self, role: str) -> dict[str, tuple]:
        """Each case outside the queues the role changes cases in: its columns, events, outbox."""
        return {
            case.reference: case_snapshot(case)
            for case in self.cases
            if case.queue.code not in CHANGES_IN[role]
        }

    def state(self) -> tuple:
        """Every counted table's size and every column of the objects under test."""
        return (
            {model.__name__: model.objects.count() for model in COUNTED},
            *(columns(obj) for obj in (*self.cases, self.refund, self.incident, self.change)),
            columns(self.case.customer),
            list(DeskNotification.objects.order_by("pk").values_list("pk", "read_at")),
            list(SavedView.objects.order_by("pk").values_list("pk", "name", "queue_id")),
        )


def case_snapshot(case: Case) -> tuple:
    return (
        columns(case),
        list(CaseEvent.objects.filter(case=case).order_by("pk").values_list("pk", "type")),
        list(Notification.objects.filter(case=case).order_by("pk").values_list("pk", "status")),
    )


def columns(instance) -> dict:
    instance.refresh_from_db()
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def make_user(role: str):
    if role == "anonymous":
        return None
    if role == "superuser":
        return UserFactory(username="root", is_superuser=True, is_staff=True)
    if role in ("agent_elsewhere", "supervisor_elsewhere"):
        return staff(role.partition("_")[0], "general", username=role)
    if role in ("agent", "supervisor"):
        return staff(role, "recharge", "credit", username=role)
    return staff(role, username=role)


def build_world() -> World:
    staff("agent", "recharge", username="teammate")
    requester = staff("agent", "recharge", username="requester")
    case = open_case(customer_id="U1", order=order_data(order_id="R-1"))
    twin = open_case(customer_id="U1", order=order_data(order_id="R-2"))
    credit_case = open_case(
        customer_id="U2",
        order=None,
        category="credit_limit_unusable",
        subject="额度显示有但用不了",
        credit=credit(available="0.00", overdue_days=3),
    )
    assert (case.queue.code, twin.queue.code, credit_case.queue.code) == (
        "recharge",
        "recharge",
        "credit",
    )
    outside = open_case(customer_id="U3", order=None, category="other", subject="别的问题")
    assert outside.queue.code == "general"
    refund = refund_request(
        actor=requester, case=case, amount="20.00", reason="充值失败", liability="company"
    )
    assert (refund.status, refund.approvals_needed) == ("pending_approval", 1)
    incident = incident_open(
        actor=staff("supervisor", username="incident-owner"),
        code=INCIDENT_CODE,
        title="China Mobile gateway down",
    )
    incident_link(
        actor=UserFactory(username="root-linker", is_superuser=True),
        incident=incident,
        cases=[case, outside],
    )
    change = hold_contact_change(actor=None, customer=case.customer, given={"phone": NEW_PHONE})
    attachment = attach(
        case=case,
        file=IncomingFile(name="截图.png", data=PNG),
        source=AttachmentSource.WORKSPACE,
        actor=requester,
    )
    # one unread notification for each role's user (marking them read is a change), one for
    # the teammate (nobody else's), and a view the requester shares with the recharge queue
    notes = [
        DeskNotification.objects.create(
            recipient=user, kind="assigned", case=case, key="assigned:matrix"
        )
        for user in [make_user(role) for role in ROLES if role != "anonymous"]
        + [staff("agent", "recharge", username="teammate")]
    ]
    view = SavedView.objects.create(
        owner=requester, name="shared", path="/cases/mine/", query="", queue=case.queue
    )
    return World(
        case=case,
        twin=twin,
        credit=credit_case,
        outside=outside,
        refund=refund,
        incident=incident,
        change=change,
        attachment=attachment,
        note=notes[-1],
        view=view,
        macro=Macro.objects.create(
            name="matrix", text_zh="您好，{reference} 已受理。", text_en="{reference}"
        ),
    )


def client_for(user) -> Client:
    client = Client(headers={"accept-language": "en"})
    if user is not None:
        client.force_login(user)
    return client


def request(client: Client, method: str, path: str, body):
    if method == "GET":
        return client.get(path)
    hx = {"hx-request": "true"}  # as htmx sends it: the answer carries the service's status
    if method in ("PUT", "PATCH", "DELETE"):
        return getattr(client, method.lower())(
            path,
            urlencode(body, doseq=True),
            headers=hx,
            content_type="application/x-www-form-urlencoded",
        )
    return client.post(path, body, headers=hx)


def check(world: World, method: str, route: str, body, role: str, expected) -> str | None:
    """One call; what went wrong, or None."""
    client = client_for(make_user(role))
    path = world.fill(route)
    before, untouchable = world.state(), world.untouchable(role)
    response = request(client, method, path, world.substitute(body))
    if world.untouchable(role) != untouchable:
        return f"{role}: changed a case outside the queues it may change cases in"
    status = {LOGIN: 302, NOOP: 200}.get(expected, expected)
    if response.status_code != status:
        return f"{role}: {response.status_code}, expected {expected}"
    if expected == LOGIN and not response["Location"].startswith(f"{reverse('login')}?next="):
        return f"{role}: redirected to {response['Location']}, not to the login page"
    if method != "GET":
        changed = world.state() != before
        if expected in REFUSED and changed:
            return f"{role}: refused with {expected} but changed data"
        if expected not in REFUSED and not changed:
            return f"{role}: accepted with {expected} but changed nothing"
    return None


@pytest.mark.parametrize("key", ROWS)
def test_page_matrix(key: str):
    """Each role's call in a savepoint rolled back afterwards: every call sees the same data."""
    method, route, body, row = ROWS[key]
    world = build_world()
    problems = []
    for role, expected in zip(ROLES, row, strict=True):
        with transaction.atomic():
            problems.append(check(world, method, route, body, role, expected))
            transaction.set_rollback(True)
    assert [p for p in problems if p] == [], key


def test_get_only_pages_refuse_a_post_and_change_nothing():
    """A superuser passes every role gate: a POST to a page without one is 405, nothing else."""
    world = build_world()
    client = client_for(make_user("superuser"))
    get_only = [route for route, methods in staff_routes().items() if methods == {"GET"}]
    assert len(get_only) >= 10
    for route in get_only:
        before = world.state()
        response = client.post(world.fill(route), {})
        assert response.status_code == 405, route
        assert world.state() == before, route


# --- every staff route has a row -----------------------------------------------------------------

# "/c/": the customer's status page (no staff login; its checks: tests/portal).
EXCLUDED_PREFIXES = (
    "/api/",
    "/admin/",
    "/i18n/",
    "/healthz",
    "/metrics",
    "/login/",
    "/logout/",
    "/c/",
)


# A function view answers every method unless a decorator refuses it: the table must say what
# each gives (`home` is `require_safe`: 405).
FUNCTION_VIEW_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def staff_routes() -> dict[str, set[str]]:
    """The staff HTML routes with their methods (function views: every method)."""
    skipped = (*EXCLUDED_PREFIXES, settings.STATIC_URL, settings.MEDIA_URL)
    skipped = tuple(p if p.startswith("/") else f"/{p}" for p in skipped)
    routes = {}
    for pattern, callback in _walk(get_resolver().url_patterns):
        path = _as_path(pattern)
        if path.startswith(skipped):
            continue
        has_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        routes[path] = _methods(callback) if has_class else set(FUNCTION_VIEW_METHODS)
    return routes


def test_every_staff_route_is_in_the_table():
    routes = {(method, path) for path, methods in staff_routes().items() for method in methods}
    table = {(method, path) for method, path, _, _ in TABLE}

    assert routes - table == set(), "staff routes without a row in the page matrix"
    assert table - routes == set(), "rows in the page matrix for routes that do not exist"


def test_the_route_check_notices_a_missing_row():
    routes = {(method, path) for path, methods in staff_routes().items() for method in methods}
    assert ("GET", "/cases/{reference}/") in routes
    assert ("POST", "/approvals/{pk}/approve/") in routes
    assert ("POST", "/") in routes  # a function view: every method
    assert not any(path.startswith(EXCLUDED_PREFIXES) for _, path in routes)
