"""Who sees a customer's phone, e-mail and name in full, where: one table of every surface × role,
rendered and read.

Each cell gives the phone, the e-mail and the name, in that order: `M` masked (the mask is on the
page and the full value is not), `F` full (the full value is on the page), `-` not shown (neither);
or the status code when the role may not open the surface at all. The customer (`U1001`, 张三丰,
+8613912345678, zhang.sanfeng@example.com) has a case in the `recharge` queue with a pending refund
asked for by another agent; `agent` and `supervisor` are members of `recharge`, the `_elsewhere`
roles of `general` only (the case is outside their scope).

Full values appear in exactly three places: the name an intake client sent, in the 201 it gets back
(spec/API.md); an export a manager (or superuser) asks for in full (`full=1`, audited); and the
customer's admin page for a superuser, which edits contact data (each opening writes an access
record). Everything else is masked, and the full value comes only through a reveal
(tests/privacy/test_reveal.py).
"""

import pytest
from django.db import transaction
from django.test import Client
from rest_framework.test import APIClient

from refunds.services import refund_request
from tests.matrix.test_page_matrix import make_user
from tests.privacy.support import FULL, MASKED, customer_case
from tests.support.factories import staff

pytestmark = pytest.mark.django_db

ROLES = (
    "agent",
    "agent_elsewhere",
    "supervisor",
    "supervisor_elsewhere",
    "finance",
    "manager",
    "intake",
    "superuser",
)
FIELDS = ("phone", "email", "name")
CASE = "{reference}"
CUSTOMER = "{customer_pk}"

# (surface, how: page/api GET, or api POST of a case, path):
#   agent, agent_elsewhere, supervisor, supervisor_elsewhere, finance, manager, intake, superuser
# fmt: off
TABLE = [
    ("workspace page", "page", f"/cases/{CASE}/",
        ("MMM", "404", "MMM", "404", "MMM", "MMM", "403", "MMM")),
    ("case list (queue)", "page", "/queues/recharge/",
        ("M--", "404", "M--", "404", "M--", "M--", "403", "M--")),
    ("case list (all queues)", "page", "/cases/",
        ("403", "403", "M--", "---", "M--", "M--", "403", "M--")),
    ("search", "page", "/search/?q=U1001",
        ("M-M", "---", "M-M", "---", "M-M", "M-M", "403", "M-M")),
    ("API case list", "api", "/api/v1/cases/",
        ("M-M", "---", "M-M", "---", "M-M", "M-M", "403", "M-M")),
    ("API case detail", "api", f"/api/v1/cases/{CASE}/",
        ("M-M", "404", "M-M", "404", "M-M", "M-M", "403", "M-M")),
    ("API search", "api-search", "/api/v1/search/",
        ("M-M", "---", "M-M", "---", "M-M", "M-M", "403", "M-M")),
    ("API intake (201 body)", "api-intake", "/api/v1/cases/",
        ("M-M", "M-M", "M-M", "M-M", "M-M", "M-M", "M-F", "M-M")),
    ("refund approvals", "page", "/approvals/",
        ("M--", "---", "M--", "---", "M--", "403", "403", "M--")),
    ("case export", "page", "/cases/export/",
        ("403", "403", "MMM", "---", "MMM", "MMM", "403", "MMM")),
    ("case export, full=1", "page", "/cases/export/?full=1",
        ("403", "403", "403", "403", "403", "FFF", "403", "FFF")),
    ("admin: customers", "page", "/admin/cases/customer/",
        ("302", "302", "302", "302", "302", "302", "302", "MMM")),
    ("admin: customer page", "page", f"/admin/cases/customer/{CUSTOMER}/change/",
        ("302", "302", "302", "302", "302", "302", "302", "FFF")),
    ("admin: case page", "page", f"/admin/cases/case/{CASE}/",
        ("302", "302", "302", "302", "302", "302", "302", "M--")),
    ("admin: recharge orders", "page", "/admin/cases/rechargeorder/",
        ("302", "302", "302", "302", "302", "302", "302", "M--")),
    ("admin: notifications", "page", "/admin/notifications/notification/",
        ("302", "302", "302", "302", "302", "302", "302", "M--")),
]
# fmt: on


def user_for(role: str):
    return make_user(role)


def world():
    case = customer_case()
    requester = staff("agent", "recharge", username="requester")
    refund_request(
        actor=requester, case=case, amount="20.00", reason="充值失败", liability="company"
    )
    return case


def fill(path: str, case) -> str:
    if path.startswith("/admin/cases/case/"):
        return path.replace(CASE, f"{case.pk}/change")
    return path.replace(CASE, case.reference).replace(CUSTOMER, str(case.customer_id))


def fetch(how: str, path: str, user):
    if how == "page":
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        return client.get(path)
    client = APIClient()
    client.force_authenticate(user)
    if how == "api":
        return client.get(path)
    if how == "api-search":
        return client.post(path, {"q": "U1001"}, format="json")
    return client.post(  # api-intake: a second case of the customer, as intake sends it
        path,
        {
            "channel": "app",
            "category": "other",
            "subject": "还是没到账",
            "description": "",
            "customer": {
                "external_id": "U1001",
                "name": FULL["name"],
                "phone": FULL["phone"],
                "email": FULL["email"],
            },
        },
        format="json",
    )


def shown(body: str, field: str) -> str:
    if FULL[field] in body:
        return "F"
    return "M" if MASKED[field] in body else "-"


def observed(response) -> str:
    if response.status_code not in (200, 201):
        return str(response.status_code)
    body = response.content.decode("utf-8-sig")
    return "".join(shown(body, field) for field in FIELDS)


@pytest.mark.parametrize(("surface", "how", "path", "row"), TABLE, ids=[r[0] for r in TABLE])
def test_masking_matrix(surface, how, path, row):
    """Each role in a savepoint rolled back afterwards: every role sees the same data."""
    case = world()
    seen = []
    for role in ROLES:
        with transaction.atomic():
            seen.append(observed(fetch(how, fill(path, case), user_for(role))))
            transaction.set_rollback(True)
    assert dict(zip(ROLES, seen, strict=True)) == dict(zip(ROLES, row, strict=True)), surface


def test_the_table_covers_every_role_and_the_surfaces_of_the_brief():
    assert {s for s, *_ in TABLE} >= {
        "workspace page",
        "case list (queue)",
        "search",
        "API case list",
        "API case detail",
        "refund approvals",
        "case export",
        "admin: customers",
    }
    assert all(len(row) == len(ROLES) for *_, row in TABLE)


def test_admin_notification_page_masks_the_recipient_and_the_text(admin_client):
    case = world()
    notification = case.notifications.order_by("pk").first()
    assert notification is not None
    body = admin_client.get(
        f"/admin/notifications/notification/{notification.pk}/change/",
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert all(FULL[field] not in body for field in FIELDS)
    assert MASKED["phone"] in body or MASKED["email"] in body
