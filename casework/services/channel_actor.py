"""The actor of what arrives on the customer's own channels (e-mail, SMS, the status page).

Nobody on the staff sent it and the customer has no account: each channel writes as its own
service user, `channel-<name>`, an intake client that cannot log in (unusable password). The
timeline and the audit trail then say which channel brought each message.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from backoffice.roles import Role, remember_roles

CHANNELS = ("email", "sms", "portal")


def channel_actor(channel: str):
    """The service user of one of the customer's channels, created on first use."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown customer channel {channel!r}")
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=f"channel-{channel}", defaults={"is_active": True}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=Role.INTAKE))
    remember_roles(user, [Role.INTAKE])
    return user
