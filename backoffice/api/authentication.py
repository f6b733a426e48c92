"""DRF's token authentication, with the user's roles read in the same statement.

Every API view asks `roles_of(user)` (its `RolePermission`), which cost a second query per
request; on PostgreSQL the token's query brings the role names along as an array. Elsewhere (the
SQLite demo) `roles_of` reads them as before.
"""

from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import OuterRef
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from backoffice.roles import remember_roles


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        tokens = self.get_model().objects.select_related("user")
        with_roles = connection.vendor == "postgresql"
        if with_roles:
            from django.contrib.postgres.expressions import ArraySubquery

            names = Group.objects.filter(user=OuterRef("user_id")).values("name")
            tokens = tokens.annotate(role_names=ArraySubquery(names))
        token = tokens.filter(key=key).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if with_roles:
            remember_roles(token.user, token.role_names)
        return (token.user, token)
