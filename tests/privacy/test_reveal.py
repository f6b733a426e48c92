"""Reveal: one field of one customer, for a role the table allows, with a purpose; every reveal
writes an access record and an audit entry without the value; refusals write nothing."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from backoffice.audit.models import AuditEntry
from cases.models import Customer
from privacy.masking import mask_email, mask_name, masked
from privacy.models import AccessRecord
from privacy.selectors import customer_access_records
from privacy.services import reveal
from tests.matrix.test_permission_matrix import client_for, make_user
from tests.privacy.support import EMAIL, MASKED_PHONE, NAME, PHONE, customer_case
from tests.support.factories import staff

pytestmark = pytest.mark.django_db


def user_for(role: str):
    return staff(role, username=role) if role == "operations_admin" else make_user(role)


def post_reveal(user, body: dict, external_id: str = "U1001"):
    return client_for(user).post(f"/api/v1/customers/{external_id}/reveal/", body, format="json")


def nothing_written():
    assert AccessRecord.objects.count() == 0
    assert not AuditEntry.objects.filter(action="privacy.reveal").exists()


def test_masks():
    assert mask_email("alice@example.com") == "a***@example.com"
    assert mask_email("not-an-address") == "***"
    assert mask_email("") == ""
    assert mask_name("张三丰") == "张**"
    assert mask_name("张三") == "张**"  # the length of a name is not shown
    assert mask_name("John Smith") == "J*** S***"
    assert mask_name("") == ""
    customer = Customer(phone=PHONE, email=EMAIL, name=NAME)
    assert masked(customer, "phone") == MASKED_PHONE
    with pytest.raises(ValueError):
        masked(customer, "language")


def test_agent_reveals_the_phone_of_a_case_they_work():
    case = customer_case()
    agent = make_user("agent")
    response = post_reveal(
        agent, {"field": "phone", "purpose": "contact_customer", "case": case.reference}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["field"], body["value"]) == ("phone", PHONE)
    record = AccessRecord.objects.get()
    assert body["access_record"] == record.pk
    assert (record.who, record.customer.external_id, record.field, record.purpose) == (
        agent,
        "U1001",
        "phone",
        "contact_customer",
    )
    assert record.case == case
    assert record.ip == "127.0.0.1"
    entry = AuditEntry.objects.get(action="privacy.reveal")
    assert (entry.object_type, entry.object_id) == ("cases.customer", "U1001")
    assert entry.payload == {
        "field": "phone",
        "purpose": "contact_customer",
        "case": case.reference,
        "access_record": record.pk,
    }
    assert "139" not in json.dumps(entry.payload)  # never the value


@pytest.mark.parametrize(
    ("role", "body", "status", "named"),
    [
        ("agent", {"field": "phone", "purpose": "contact_customer"}, 400, "case"),
        ("agent", {"field": "email", "purpose": "contact_customer", "case": "{ref}"}, 403, None),
        (
            "agent_elsewhere",
            {"field": "phone", "purpose": "contact_customer", "case": "{ref}"},
            404,
            None,
        ),
        ("finance", {"field": "name", "purpose": "refund_payout", "case": "{ref}"}, 403, None),
        ("intake", {"field": "phone", "purpose": "contact_customer", "case": "{ref}"}, 403, None),
        ("operations_admin", {"field": "phone", "purpose": "other", "note": "x"}, 403, None),
        (
            "agent",
            {"field": "language", "purpose": "contact_customer", "case": "{ref}"},
            400,
            "field",
        ),
        ("agent", {"field": "phone", "purpose": "curiosity", "case": "{ref}"}, 400, "purpose"),
        ("agent", {"field": "phone", "purpose": "other", "case": "{ref}"}, 400, "note"),
        (
            "agent",
            {"field": "phone", "purpose": "other", "note": "x" * 501, "case": "{ref}"},
            400,
            "note",
        ),
        (
            "manager",
            {"field": "phone", "purpose": "contact_customer", "case": "{other}"},
            400,
            "case",
        ),
        (
            "manager",
            {"field": "phone", "purpose": "contact_customer", "case": "CS-NOPE"},
            404,
            None,
        ),
        ("anonymous", {"field": "phone", "purpose": "contact_customer"}, 401, None),
    ],
)
def test_refused_reveals_write_nothing(role, body, status, named):
    case = customer_case()
    other = customer_case("U2002")
    body = {
        k: v.replace("{ref}", case.reference).replace("{other}", other.reference)
        if isinstance(v, str)
        else v
        for k, v in body.items()
    }
    response = post_reveal(user_for(role), body)
    assert response.status_code == status, response.content
    if named:
        assert list(response.json()) == [named], response.json()
    assert PHONE not in response.content.decode()
    nothing_written()


@pytest.mark.parametrize("external_id", ["U404", "U1001%00", "U" * 65])
def test_unknown_customer_is_404(external_id):
    customer_case()
    response = post_reveal(
        make_user("manager"), {"field": "phone", "purpose": "contact_customer"}, external_id
    )
    assert response.status_code == 404
    nothing_written()


def test_manager_reveals_without_a_case_and_supervisor_the_email():
    case = customer_case()
    manager_answer = post_reveal(
        make_user("manager"), {"field": "name", "purpose": "verify_identity"}
    )
    assert manager_answer.json()["value"] == NAME
    supervisor_answer = post_reveal(
        make_user("supervisor"),
        {"field": "email", "purpose": "other", "note": "邮件退回", "case": case.reference},
    )
    assert supervisor_answer.json()["value"] == EMAIL
    assert list(AccessRecord.objects.order_by("id").values_list("field", "note")) == [
        ("name", ""),
        ("email", "邮件退回"),
    ]
    assert AuditEntry.objects.filter(action="privacy.reveal").count() == 2


def staff_client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_workspace_masks_and_offers_reveal_by_role():
    case = customer_case()
    page = staff_client(make_user("agent")).get(reverse("cases:case_detail", args=[case.reference]))
    body = page.content.decode()
    assert PHONE not in body and EMAIL not in body and NAME not in body
    assert MASKED_PHONE in body
    reveal_url = reverse("privacy:case_reveal", args=[case.reference])
    assert body.count(f'action="{reveal_url}"') == 2  # phone and name; an agent never the e-mail
    supervisor_body = (
        staff_client(make_user("supervisor"))
        .get(reverse("cases:case_detail", args=[case.reference]))
        .content.decode()
    )
    assert supervisor_body.count(f'action="{reveal_url}"') == 3
    intake_page = staff_client(make_user("intake")).get(
        reverse("cases:case_detail", args=[case.reference])
    )
    assert intake_page.status_code == 403


def test_workspace_reveal_htmx_shows_the_value_and_records_it():
    case = customer_case()
    agent = make_user("agent")
    url = reverse("privacy:case_reveal", args=[case.reference])
    response = staff_client(agent).post(
        url, {"field": "phone", "purpose": "contact_customer"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert PHONE in response.content.decode()
    assert "<html" not in response.content.decode()
    record = AccessRecord.objects.get()
    assert (record.who, record.case, record.field) == (agent, case, "phone")
    refused = staff_client(agent).post(url, {"field": "email", "purpose": "contact_customer"})
    assert refused.status_code == 403
    assert EMAIL not in refused.content.decode()
    invalid = staff_client(agent).post(url, {"field": "phone", "purpose": "other"})
    assert invalid.status_code == 400
    assert AccessRecord.objects.count() == 1
    elsewhere = staff_client(make_user("agent_elsewhere")).post(
        url, {"field": "phone", "purpose": "contact_customer"}
    )
    assert elsewhere.status_code == 404
    assert AccessRecord.objects.count() == 1


def test_who_looked_at_my_data_is_one_query(django_assert_num_queries):
    case = customer_case()
    other = customer_case("U2002")
    agent, supervisor = make_user("agent"), make_user("supervisor")
    for user, field in ((agent, "phone"), (supervisor, "email"), (agent, "name")):
        reveal(
            actor=user, customer=case.customer, field=field, purpose="verify_identity", case=case
        )
    reveal(
        actor=agent, customer=other.customer, field="phone", purpose="verify_identity", case=other
    )
    with django_assert_num_queries(1):
        rows = [
            (r.who.username, r.field, r.case.reference)
            for r in customer_access_records(case.customer_id)
        ]
    assert rows == [
        ("agent", "name", case.reference),
        ("supervisor", "email", case.reference),
        ("agent", "phone", case.reference),
    ]


def test_admin_customer_page_lists_who_looked_and_records_the_opening(admin_client):
    case = customer_case()
    reveal(
        actor=make_user("agent"),
        customer=case.customer,
        field="phone",
        purpose="contact_customer",
        case=case,
    )
    url = reverse("admin:cases_customer_change", args=[case.customer_id])
    body = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "who looked at this customer" in body.lower()
    assert "Contact the customer" in body
    assert PHONE in body  # the superuser edits the contact data: full, and recorded
    assert set(
        AccessRecord.objects.filter(purpose="correction").values_list("field", flat=True)
    ) == {"phone", "email", "name"}


def test_admin_customer_page_masks_for_operations_admin():
    case = customer_case()
    ops = user_for("operations_admin")
    ops.is_staff = True
    ops.save()
    response = staff_client(ops).get(
        reverse("admin:cases_customer_change", args=[case.customer_id])
    )
    if response.status_code == 200:
        body = response.content.decode()
        assert PHONE not in body and EMAIL not in body and NAME not in body
    else:
        assert response.status_code in (302, 403)
    assert AccessRecord.objects.count() == 0
