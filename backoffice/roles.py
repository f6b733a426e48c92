"""Roles are Django groups (created by migration 0001). One place answers "may this user …"."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    AGENT = "agent", _("Agent")
    SUPERVISOR = "supervisor", _("Supervisor")
    FINANCE = "finance", _("Finance")
    MANAGER = "manager", _("Manager")
    INTAKE = "intake", _("Intake client")
    # Configures the product in the Django admin (queues, routing, SLA, calendars, approval tiers,
    # templates, macros, users and their roles) with model permissions only, never superuser; it
    # works no case. Its group's permissions are a fixed set (migration 0009_h6_operations_admin),
    # and the user admin keeps it from granting more (backoffice/admin_audit.py).
    OPERATIONS_ADMIN = "operations_admin", _("Operations admin")


# Roles that work cases (read them, reply, transition); higher roles include the lower.
CASE_WORKERS = frozenset({Role.AGENT, Role.SUPERVISOR, Role.FINANCE, Role.MANAGER})


def roles_of(user) -> frozenset[str]:
    """The role names of a user, cached on the user object for the request."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_backoffice_roles", None)
    if cached is None:
        cached = remember_roles(user, user.groups.values_list("name", flat=True))
    return cached


def remember_roles(user, names) -> frozenset[str]:
    """Cache the user's role names, read along with the user (`backoffice.api.authentication`)."""
    user._backoffice_roles = frozenset(names)
    return user._backoffice_roles


def has_role(user, *roles: str) -> bool:
    if user is not None and user.is_authenticated and user.is_superuser:
        return True
    return bool(roles_of(user) & set(roles))


def primary_role(user) -> str | None:
    """The highest role of a user, for display."""
    if user is None or not user.is_authenticated:
        return None
    if user.is_superuser:
        return "admin"
    mine = roles_of(user)
    for role in (
        Role.MANAGER,
        Role.FINANCE,
        Role.SUPERVISOR,
        Role.AGENT,
        Role.OPERATIONS_ADMIN,
        Role.INTAKE,
    ):
        if role in mine:
            return role.value
    return None
