from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from backoffice.api.authentication import revoke_tokens, token_for
from backoffice.audit.services import audit_record
from backoffice.roles import Role
from cases.models import Queue, QueueMembership


class Command(BaseCommand):
    help = (
        "Create or update a staff user with one role (and queue memberships). "
        "Prints nothing secret except the API token when asked with --token."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument(
            "--password", help="set this password (otherwise unchanged, or unusable for a new user)"
        )
        parser.add_argument(
            "--queue",
            action="append",
            default=[],
            metavar="CODE",
            help="make the user a member of this queue (repeatable)",
        )
        parser.add_argument("--lead", action="store_true", help="team lead of the given queues")
        parser.add_argument("--email", default="")
        parser.add_argument("--token", action="store_true", help="print the user's API token")

    @transaction.atomic
    def handle(self, *args, username, role, password, queue, lead, email, token, **options):
        queues = list(Queue.objects.filter(code__in=queue))
        missing = sorted(set(queue) - {q.code for q in queues})
        if missing:
            raise CommandError(f"unknown queue(s): {', '.join(missing)}")
        User = get_user_model()
        user, created = User.objects.get_or_create(username=username, defaults={"email": email})
        if password:
            user.set_password(password)
            revoke_tokens(user)  # a new password: the old token goes with the old password
        elif created:
            user.set_unusable_password()
        if email:
            user.email = email
        user.is_active = True
        if role == Role.OPERATIONS_ADMIN:
            user.is_staff = True  # the Django admin is where operations admins work
        user.save()
        role_groups = Group.objects.filter(name__in=Role.values)
        roles_before = sorted(user.groups.values_list("name", flat=True)) if not created else []
        user.groups.remove(*role_groups.exclude(name=role))
        user.groups.add(Group.objects.get(name=role))
        for q in queues:
            QueueMembership.objects.update_or_create(queue=q, user=user, defaults={"is_lead": lead})
        audit_record(
            actor="manage.py create_staff",
            action="user.staff_set",
            target=user,
            payload={
                "created": created,
                "roles": [roles_before, sorted(user.groups.values_list("name", flat=True))],
                "queues": sorted(q.code for q in queues),
                "lead": lead,
                "password_set": bool(password),
            },
        )
        verb = "created" if created else "updated"
        where = f" in queues {', '.join(q.code for q in queues)}" if queues else ""
        self.stdout.write(f"{verb} {username} as {role}{where}")
        if token:
            self.stdout.write(token_for(user).key)
