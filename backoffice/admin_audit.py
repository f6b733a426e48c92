"""Changes made through the admin leave an audit entry, like changes made through the services.

`AuditedAdminMixin` on a ModelAdmin records, in the transaction of the change, who added, changed
or deleted which object, and for a change the fields that changed with their old and new values
(many-to-many fields, such as a user's roles, as sorted names; secrets never: a password change is
recorded as the fact that it happened). Inline rows (a queue's memberships) are recorded the same
way. The users, groups and the money and scope configuration (approval tiers, queues, memberships,
routing rules, SLA policies, calendars, templates, macros) are audited; docs/security.md lists
them. Personal data never enters the audit trail: a change of a person's name or e-mail address is
recorded as the fact that it changed, without the values.

The user admin also keeps an operations admin (model permissions, not superuser) within its own
powers: it cannot tick "superuser", hand out single permissions, give a role outside the product's
roles, or change or take over a superuser's account (`UserAdmin` below).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db import models, transaction

from backoffice.api.authentication import revoke_tokens
from backoffice.audit.services import audit_record
from backoffice.roles import Role

SECRET_FIELDS = frozenset({"password"})
# Recorded as changed, never with their values: no personal data in the audit trail.
PERSONAL_FIELDS = frozenset({"first_name", "last_name", "email"})
CHANGED = "(changed, not recorded)"


def _value(obj, field: models.Field):
    if field.many_to_many:
        if obj.pk is None:
            return []
        return sorted(str(related) for related in getattr(obj, field.name).all())
    value = getattr(obj, field.attname)
    return value if value is None or isinstance(value, bool | int | str) else str(value)


def _fields(obj, names) -> list[models.Field]:
    """The concrete model fields among `names` (a form's other fields, password1…, are skipped)."""
    by_name = {field.name: field for field in obj._meta.get_fields() if field.concrete}
    return [by_name[n] for n in names if n in by_name and n not in SECRET_FIELDS]


def _snapshot(obj, fields) -> dict:
    return {field.name: _value(obj, field) for field in fields}


def _record(request, action: str, obj, payload: dict) -> None:
    audit_record(
        actor=request.user,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        payload={"object": str(obj), **payload},
    )


def _changes(before: dict, after: dict) -> dict:
    return {name: [before.get(name), new] for name, new in after.items() if before.get(name) != new}


def _without_personal(fields: dict) -> dict:
    return {name: CHANGED if name in PERSONAL_FIELDS else v for name, v in fields.items()}


class AuditedAdminMixin:
    def save_model(self, request, obj, form, change):
        fields = _fields(obj, form.changed_data)
        before = {}
        if change and obj.pk is not None:
            stored = type(obj)._default_manager.filter(pk=obj.pk).first()
            before = _snapshot(stored, fields) if stored is not None else {}
        request._audit_admin = (fields, before)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        fields, before = getattr(request, "_audit_admin", ([], {}))
        after = _snapshot(obj, fields)
        changes = _without_personal(_changes(before, after) if change else after)
        if changes or not change:
            _record(request, "admin.change" if change else "admin.add", obj, {"fields": changes})
        for formset in formsets:
            self._record_formset(request, obj, formset)

    def _record_formset(self, request, parent, formset) -> None:
        via = {"via": f"{parent._meta.label_lower}:{parent.pk}"}
        for row in getattr(formset, "new_objects", []):
            fields = _fields(row, [f.name for f in row._meta.concrete_fields])
            snapshot = _without_personal(_snapshot(row, fields))
            _record(request, "admin.add", row, {**via, "fields": snapshot})
        for row, changed in getattr(formset, "changed_objects", []):
            snapshot = _without_personal(_snapshot(row, _fields(row, changed)))
            _record(request, "admin.change", row, {**via, "fields": snapshot})
        for row in getattr(formset, "deleted_objects", []):
            _record(request, "admin.delete", row, via)

    def delete_model(self, request, obj):
        with transaction.atomic():
            _record(request, "admin.delete", obj, {})
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                _record(request, "admin.delete", obj, {})
            super().delete_queryset(request, queryset)


# What only a superuser may set on an account (powers, and the account's own history): the rest of
# the user admin is open to the operations admin's model permissions.
SUPERUSER_ONLY_FIELDS = ("is_superuser", "user_permissions", "last_login", "date_joined")


class AuditedUserAdmin(AuditedAdminMixin, UserAdmin):
    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return fields
        return fields + SUPERUSER_ONLY_FIELDS

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        """Roles only: a non-superuser cannot give a group made outside the product's roles."""
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = Group.objects.filter(name__in=Role.values).order_by("name")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False  # no taking over a superuser's account (its password, its roles)
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def user_change_password(self, request, id, form_url=""):
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                user = self.get_object(request, id)
                revoked = revoke_tokens(user)
                _record(request, "admin.password_set", user, {"api_tokens_revoked": revoked})
        return response


class AuditedGroupAdmin(AuditedAdminMixin, GroupAdmin):
    pass


def audit_auth_admin(site) -> None:
    """Replace django.contrib.auth's user and group admins with audited ones."""
    User = get_user_model()
    for model, model_admin in ((User, AuditedUserAdmin), (Group, AuditedGroupAdmin)):
        if site.is_registered(model):
            site.unregister(model)
        site.register(model, model_admin)
