"""Which macros a case may use: active, of its queue (or every queue), of its category (or all)."""

from django.db.models import Q, QuerySet

from macros.models import Macro


def macros_for_case(case) -> QuerySet[Macro]:
    return (
        Macro.objects.filter(active=True)
        .filter(Q(queue__isnull=True) | Q(queue_id=case.queue_id))
        .filter(Q(category="") | Q(category=case.category))
        .order_by("name", "id")
    )


def macros_of_queue(queue_id: int) -> QuerySet[Macro]:
    """The active macros of a queue (or every queue), of any category: a queue's workspaces pick
    their case's category from these (`applies_to`)."""
    return (
        Macro.objects.filter(active=True)
        .filter(Q(queue__isnull=True) | Q(queue_id=queue_id))
        .order_by("name", "id")
    )


def applies_to(macro: Macro, case) -> bool:
    """The same rule as `macros_for_case`, for a macro in hand."""
    return (
        macro.active
        and macro.queue_id in (None, case.queue_id)
        and macro.category in ("", case.category)
    )


def macros_for_bulk(user) -> QuerySet[Macro]:
    """The macros a bulk action may offer this user: active, for every queue or one of the user's
    (each case still checks its own queue and category when the macro is applied)."""
    return (
        Macro.objects.filter(active=True)
        .filter(Q(queue__isnull=True) | Q(queue__memberships__user=user))
        .distinct()
        .order_by("name", "id")
        .values_list("pk", "name")
    )
