"""The operations admin: edits the product's configuration, users and roles in the Django admin
with model permissions only (not superuser), cannot grant itself or anyone more than the product's
roles, and every change it makes is audited (who, what, before and after, no personal data)."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.test import Client

from backoffice.audit.models import AuditEntry
from cases.models import Queue
from macros.models import Macro
from sla.models import SlaPolicy
from tests.support.factories import staff

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def ops():
    call_command("create_staff", "ops", "--role", "operations_admin", "--password", "pw-Ops-12345")
    return User.objects.get(username="ops")


@pytest.fixture
def ops_client(ops):
    client = Client(headers={"accept-language": "en"})
    client.force_login(ops)
    return client


def user_form(user, **overrides) -> dict:
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "is_staff": "on" if user.is_staff else "",
        "groups": list(user.groups.values_list("pk", flat=True)),
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v != ""}


def test_the_role_has_a_fixed_set_of_model_permissions_and_is_not_superuser(ops):
    assert ops.is_staff and not ops.is_superuser
    group = Group.objects.get(name="operations_admin")
    codes = set(group.permissions.values_list("content_type__app_label", "codename"))
    assert ("macros", "change_macro") in codes
    assert ("cases", "change_routingrule") in codes
    assert ("sla", "change_slapolicy") in codes
    assert ("backoffice", "change_businesscalendar") in codes
    assert ("refunds", "change_approvaltier") in codes
    assert ("notifications", "change_notificationtemplate") in codes
    assert ("auth", "change_user") in codes and ("auth", "view_group") in codes
    # nothing that works cases or money, and no editing what a role may do
    assert not {c for c in codes if c[1] in ("change_group", "add_group", "delete_user")}
    assert not {c for c in codes if c[1].endswith(("_case", "_refund", "_auditentry"))}
    assert len(codes) == 51


@pytest.mark.parametrize(
    "path",
    [
        "/admin/cases/queue/",
        "/admin/cases/routingrule/",
        "/admin/sla/slapolicy/",
        "/admin/sla/escalationrule/",
        "/admin/backoffice/businesscalendar/",
        "/admin/refunds/approvaltier/",
        "/admin/notifications/notificationtemplate/",
        "/admin/macros/macro/",
        "/admin/macros/macro/add/",
        "/admin/auth/user/",
    ],
)
def test_it_opens_the_configuration_it_edits(ops_client, path):
    assert ops_client.get(path).status_code == 200


@pytest.mark.parametrize(
    "path", ["/admin/cases/case/", "/admin/refunds/refund/", "/admin/backoffice/auditentry/"]
)
def test_it_does_not_reach_cases_money_or_the_audit_trail(ops_client, path):
    assert ops_client.get(path).status_code == 403


def test_it_cannot_make_itself_superuser_or_grant_single_permissions(ops_client, ops):
    everything = list(Permission.objects.values_list("pk", flat=True))
    response = ops_client.post(
        f"/admin/auth/user/{ops.pk}/change/",
        user_form(ops, is_superuser="on", user_permissions=everything),
    )
    assert response.status_code == 302
    ops.refresh_from_db()
    assert not ops.is_superuser
    assert not ops.user_permissions.exists()
    assert set(ops.get_all_permissions()) == {
        f"{app}.{code}"
        for app, code in Group.objects.get(name="operations_admin").permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def test_it_can_give_a_product_role_but_no_other_group(ops_client, ops):
    bob = staff("agent", "recharge", username="bob")
    powerful = Group.objects.create(name="everything")
    powerful.permissions.set(Permission.objects.all())
    before = AuditEntry.objects.count()
    response = ops_client.post(
        f"/admin/auth/user/{bob.pk}/change/", user_form(bob, groups=[powerful.pk])
    )
    assert response.status_code == 200  # the form refuses the choice
    assert not bob.groups.filter(name="everything").exists()
    response = ops_client.post(
        f"/admin/auth/user/{ops.pk}/change/", user_form(ops, groups=[powerful.pk])
    )
    assert response.status_code == 200
    assert AuditEntry.objects.count() == before
    supervisor = Group.objects.get(name="supervisor")
    response = ops_client.post(
        f"/admin/auth/user/{bob.pk}/change/", user_form(bob, groups=[supervisor.pk])
    )
    assert response.status_code == 302
    assert list(bob.groups.values_list("name", flat=True)) == ["supervisor"]


def test_it_cannot_change_what_a_role_may_do(ops_client):
    group = Group.objects.get(name="operations_admin")
    response = ops_client.post(
        f"/admin/auth/group/{group.pk}/change/",
        {
            "name": "operations_admin",
            "permissions": list(Permission.objects.values_list("pk", flat=True)),
        },
    )
    assert response.status_code == 403
    assert group.permissions.count() == 51
    assert ops_client.post("/admin/auth/group/add/", {"name": "x"}).status_code == 403


def test_it_cannot_take_over_a_superusers_account(ops_client, admin_user):
    old = admin_user.password
    response = ops_client.post(
        f"/admin/auth/user/{admin_user.pk}/password/",
        {"password1": "Taken-0ver-123", "password2": "Taken-0ver-123", "usable_password": "true"},
    )
    assert response.status_code == 403
    response = ops_client.post(
        f"/admin/auth/user/{admin_user.pk}/change/", user_form(admin_user, is_active="")
    )
    assert response.status_code == 403
    admin_user.refresh_from_db()
    assert admin_user.password == old and admin_user.is_active


def test_a_user_created_by_it_gets_only_what_it_gives(ops_client):
    response = ops_client.post(
        "/admin/auth/user/add/",
        {
            "username": "newbie",
            "password1": "n3w-Passw0rd-xyz",
            "password2": "n3w-Passw0rd-xyz",
            "usable_password": "true",
            "is_superuser": "on",
        },
    )
    assert response.status_code == 302
    newbie = User.objects.get(username="newbie")
    assert not newbie.is_superuser and not newbie.is_staff


def test_a_macro_written_by_it_is_audited_with_before_and_after(ops_client, ops):
    before = AuditEntry.objects.count()
    response = ops_client.post(
        "/admin/macros/macro/add/",
        {
            "name": "已受理",
            "active": "on",
            "text_zh": "{customer_name}您好，{reference} 已受理。",
            "text_en": "Dear {customer_name}, {reference} is received.",
            "queue": Queue.objects.get(code="recharge").pk,
            "category": "",
            "set_status": "waiting_customer",
            "set_root_cause": "",
            "set_priority": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    macro = Macro.objects.get(name="已受理")
    [added] = AuditEntry.objects.filter(seq__gt=before)
    assert (added.action, added.object_type, added.object_id, added.actor_id) == (
        "admin.add",
        "macros.macro",
        str(macro.pk),
        ops.pk,
    )
    assert added.payload["fields"]["set_status"] == "waiting_customer"
    response = ops_client.post(
        f"/admin/macros/macro/{macro.pk}/change/",
        {
            "name": "已受理",
            "active": "on",
            "text_zh": macro.text_zh,
            "text_en": macro.text_en,
            "queue": macro.queue_id,
            "category": "",
            "set_status": "in_progress",
            "set_root_cause": "",
            "set_priority": "",
        },
    )
    assert response.status_code == 302
    changed = AuditEntry.objects.filter(seq__gt=added.seq).get()
    assert changed.action == "admin.change"
    assert changed.payload["fields"] == {"set_status": ["waiting_customer", "in_progress"]}
    assert LogEntry.objects.filter(user=ops, object_id=str(macro.pk)).count() == 2


def test_a_macro_with_an_unknown_variable_is_refused_in_the_admin(ops_client):
    response = ops_client.post(
        "/admin/macros/macro/add/",
        {
            "name": "泄露",
            "active": "on",
            "text_zh": "{customer_name}，内部备注：{resolution}",
            "text_en": "{customer.__class__}",
            "category": "",
        },
    )
    assert response.status_code == 200
    assert "Unknown variables: {resolution}" in response.content.decode()
    assert "Unknown variables: {customer.__class__}" in response.content.decode()
    assert not Macro.objects.exists()


def test_a_persons_name_and_address_changed_by_it_are_audited_without_the_values(ops_client):
    bob = staff("agent", "recharge", username="bob")
    before = AuditEntry.objects.count()
    response = ops_client.post(
        f"/admin/auth/user/{bob.pk}/change/",
        user_form(bob, first_name="Wang", last_name="Fang", email="wang.fang@example.com"),
    )
    assert response.status_code == 302
    [entry] = AuditEntry.objects.filter(seq__gt=before)
    assert entry.action == "admin.change" and entry.object_id == str(bob.pk)
    assert set(entry.payload["fields"]) == {"first_name", "last_name", "email"}
    text = str(entry.payload)
    assert "Wang" not in text and "Fang" not in text and "example.com" not in text


def test_an_sla_policy_edit_is_audited(ops_client, ops):
    policy = SlaPolicy.objects.order_by("pk").first()
    before = AuditEntry.objects.count()
    response = ops_client.get(f"/admin/sla/slapolicy/{policy.pk}/change/")
    assert response.status_code == 200
    response = ops_client.post(
        "/admin/sla/slapolicy/",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": policy.pk,
            "form-0-position": policy.position + 100,
            "form-0-enabled": "on" if policy.enabled else "",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    [entry] = AuditEntry.objects.filter(seq__gt=before)
    assert (entry.action, entry.object_type, entry.actor_id) == (
        "admin.change",
        "sla.slapolicy",
        ops.pk,
    )
    assert entry.payload["fields"] == {"position": [policy.position, policy.position + 100]}


def test_its_day_starts_in_the_admin_and_it_works_no_case(ops_client, case):
    response = ops_client.get("/")
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert ops_client.get(f"/cases/{case.reference}/").status_code in (403, 404)
