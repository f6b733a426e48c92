"""Merging a duplicate into the case that carries on. Both timelines survive."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.domain_events import publish
from backoffice.errors import Invalid
from cases import permissions, policy
from cases.choices import EventType, Status
from cases.domain_events import CaseStatusChanged
from cases.events import audit_case, record_event
from cases.models import Case


@transaction.atomic
def case_merge(*, actor, duplicate: Case, into: Case) -> Case:
    """Close `duplicate` as merged into `into`; returns `into`. Rows are locked in id order."""
    if duplicate.pk == into.pk:
        raise Invalid({"into": [_("A case cannot be merged into itself.")]})
    locked = {
        c.pk: c
        for c in Case.objects.select_for_update(no_key=True)
        .filter(pk__in=[duplicate.pk, into.pk])
        .order_by("pk")
    }
    duplicate, into = locked[duplicate.pk], locked[into.pk]
    permissions.require(
        permissions.can_work_case(actor, duplicate) and permissions.can_work_case(actor, into),
        _("You must be able to work both cases to merge them."),
    )
    if duplicate.customer_id != into.customer_id:
        raise Invalid(
            {
                "into": [
                    _("%(reference)s belongs to another customer.") % {"reference": into.reference}
                ]
            }
        )
    policy.ensure_open(duplicate)
    policy.ensure_merge_target(into)
    previous = duplicate.status
    duplicate.status = Status.CLOSED
    duplicate.merged_into = into
    duplicate.closed_at = timezone.now()
    duplicate.resolution = f"Merged into {into.reference}"
    duplicate.save()
    record_event(
        case=duplicate,
        type=EventType.MERGED_INTO,
        actor=actor,
        payload={"into": into.reference, "from": previous},
    )
    publish(
        CaseStatusChanged(case=duplicate, previous=previous, at=duplicate.closed_at, actor=actor)
    )
    record_event(
        case=into, type=EventType.MERGED, actor=actor, payload={"duplicate": duplicate.reference}
    )
    audit_case(actor=actor, action="case.merge", case=duplicate, payload={"into": into.reference})
    return into
