"""DRF's token authentication, with the user's roles read in the same statement.

Every API view asks `roles_of(user)` (its `RolePermission`), which cost a second query per
request; on PostgreSQL the token's query brings the role names along as an array. Elsewhere (the
SQLite demo) `roles_of` reads them as before.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.models import OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from backoffice.roles import remember_roles


def token_expired(token: Token) -> bool:
    """A token older than API_TOKEN_MAX_AGE_DAYS no longer authenticates (0: never expires)."""
    days = settings.API_TOKEN_MAX_AGE_DAYS
    return bool(days) and token.created < timezone.now() - timedelta(days=days)


def token_for(user) -> Token:
    """The user's token, a fresh one when the stored one has expired."""
    with transaction.atomic():
        token, created = Token.objects.select_for_update().get_or_create(user=user)
        if not created and token_expired(token):
            token.delete()
            token = Token.objects.create(user=user)
    return token


def revoke_tokens(user) -> int:
    """Revoke the user's API token (a password change, a role change); how many were revoked."""
    return Token.objects.filter(user=user).delete()[0]


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
        if token_expired(token):
            raise exceptions.AuthenticationFailed(_("Token expired; obtain a new one."))
        if with_roles:
            remember_roles(token.user, token.role_names)
        return (token.user, token)
