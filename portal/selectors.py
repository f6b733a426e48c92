"""Reads of the satisfaction surveys for the staff screens."""

from django.db.models import Exists, OuterRef, QuerySet

from portal import policy
from portal.models import CustomerLink, Satisfaction


def follow_ups(user) -> QuerySet:
    """The answered surveys `user` may follow up (their queues; managers every queue), with what
    the list shows, latest answer first."""
    queryset = (
        Satisfaction.objects.filter(answered_at__isnull=False)
        .exclude(follow_up="")
        .select_related("case", "queue", "agent", "follow_up_by")
        .order_by("-answered_at", "-pk")
    )
    queue_ids = policy.follow_up_queue_ids(user)
    if queue_ids is not None:
        queryset = queryset.filter(queue_id__in=queue_ids)
    return queryset


def workspace_facts() -> dict:
    """Whether the case has surveys and status links, read with the case by the workspace
    (`settings.CASE_WORKSPACE_FACTS`): most have neither, and then their panels read nothing."""
    return {
        "portal_has_surveys": Exists(Satisfaction.objects.filter(case_id=OuterRef("pk"))),
        "portal_has_links": Exists(CustomerLink.objects.filter(case_id=OuterRef("pk"))),
    }


def surveys_of_case(case) -> list[Satisfaction]:
    """The case's surveys by cycle, read once per case object: the workspace's satisfaction and
    customer-link panels both show them (none read when the case says it has none,
    `workspace_facts`)."""
    loaded = case.__dict__.get("_surveys_of_case")
    if loaded is None and not getattr(case, "portal_has_surveys", True):
        loaded = case.__dict__["_surveys_of_case"] = []
    if loaded is None:
        loaded = list(
            Satisfaction.objects.filter(case=case)
            .select_related("agent", "follow_up_by")
            .order_by("cycle", "pk")
        )
        case.__dict__["_surveys_of_case"] = loaded
    return loaded
