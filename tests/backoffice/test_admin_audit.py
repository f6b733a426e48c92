"""Changes through the admin and `create_staff` leave audit entries: roles, privileges, passwords,
and the money and scope configuration (approval tiers, queue memberships)."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from backoffice.audit.models import AuditEntry
from refunds.models import ApprovalTier
from tests.support.factories import staff

pytestmark = pytest.mark.django_db


def entries(**filters):
    return list(AuditEntry.objects.filter(**filters).order_by("seq"))


def test_a_role_and_privilege_change_in_the_admin_is_audited(admin_client, admin_user, capsys):
    user = staff("agent", "recharge", username="bob")
    finance = Group.objects.get(name="finance")
    before = AuditEntry.objects.count()
    response = admin_client.post(
        f"/admin/auth/user/{user.pk}/change/",
        {
            "username": "bob",
            "first_name": "",
            "last_name": "",
            "email": "",
            "is_active": "on",
            "is_superuser": "on",
            "groups": [finance.pk],
            "user_permissions": [],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    [entry] = entries(seq__gt=before)
    assert (entry.action, entry.object_type, entry.object_id, entry.actor_id) == (
        "admin.change",
        "auth.user",
        str(user.pk),
        admin_user.pk,
    )
    assert entry.payload["fields"]["groups"] == [["agent"], ["finance"]]
    assert entry.payload["fields"]["is_superuser"] == [False, True]
    call_command("verify_audit")
    assert "audit chain intact" in capsys.readouterr().out


def test_a_password_set_in_the_admin_is_audited_without_the_secret(admin_client):
    user = staff("agent", "recharge", username="bob")
    old_hash = user.password
    before = AuditEntry.objects.count()
    response = admin_client.post(
        f"/admin/auth/user/{user.pk}/password/",
        {
            "password1": "n3w-Passw0rd-xyz",
            "password2": "n3w-Passw0rd-xyz",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    [entry] = entries(seq__gt=before)
    assert (entry.action, entry.object_id) == ("admin.password_set", str(user.pk))
    user.refresh_from_db()
    assert user.password != old_hash
    assert user.password not in str(entry.payload) and old_hash not in str(entry.payload)


def test_an_approval_tier_edit_in_the_admin_is_audited_old_and_new(admin_client, admin_user):
    tier = ApprovalTier.objects.filter(max_amount__isnull=False).order_by("pk").first()
    before = AuditEntry.objects.count()
    response = admin_client.post(
        f"/admin/refunds/approvaltier/{tier.pk}/change/",
        {
            "name": tier.name,
            "role": tier.role,
            "currency": tier.currency,
            "max_amount": "99999.00",
            "approvals_needed": tier.approvals_needed,
            "enabled": "on" if tier.enabled else "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    [entry] = entries(seq__gt=before)  # one row: the tier service's, not a second generic one
    assert entry.action == "refund_tier.change" and entry.object_type == "refunds.approvaltier"
    assert entry.payload["before"]["max_amount"] == f"{tier.max_amount:.2f}"
    assert entry.payload["after"]["max_amount"] == "99999.00"


def test_a_membership_deleted_in_the_admin_is_audited(admin_client):
    from cases.models import QueueMembership

    staff("agent", "recharge", username="bob")
    membership = QueueMembership.objects.get(user__username="bob")
    before = AuditEntry.objects.count()
    response = admin_client.post(
        f"/admin/cases/queuemembership/{membership.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    [entry] = entries(seq__gt=before)
    assert (entry.action, entry.object_type, entry.object_id) == (
        "admin.delete",
        "cases.queuemembership",
        str(membership.pk),
    )
    assert not QueueMembership.objects.filter(pk=membership.pk).exists()


def test_create_staff_is_audited(capsys):
    call_command("create_staff", "li.na", "--role", "agent", "--queue", "recharge")
    call_command("create_staff", "li.na", "--role", "finance")
    first, second = entries(action="user.staff_set")
    assert first.actor_label == "manage.py create_staff"
    assert first.payload["roles"] == [[], ["agent"]] and first.payload["created"] is True
    assert (
        second.payload["roles"] == [["agent"], ["finance"]] and second.payload["created"] is False
    )
