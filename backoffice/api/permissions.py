"""Role permissions for API endpoints: a view lists, per action, the roles that may call it."""

from rest_framework.permissions import BasePermission

from backoffice.roles import has_role


class RolePermission(BasePermission):
    """`view.roles_by_action = {"create": {...}, "list": {...}, ...}`; `"*"` is the fallback."""

    message = "Your role may not do this."

    def has_permission(self, request, view):
        user = request.user
        if not user or not user.is_authenticated:
            return False
        table = getattr(view, "roles_by_action", {})
        action = getattr(view, "action", None) or request.method.lower()
        roles = table.get(action, table.get("*"))
        if roles is None:
            return user.is_superuser
        return has_role(user, *roles)
