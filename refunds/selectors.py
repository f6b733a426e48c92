"""Reads of the refunds app."""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from backoffice.roles import Role, has_role
from cases import permissions as case_permissions
from refunds import policy
from refunds.choices import RefundStatus
from refunds.models import Refund, RefundApproval, RefundAttempt
from sla.models import SlaClock


def refunds_visible_to(user) -> QuerySet[Refund]:
    qs = Refund.objects.all()
    if case_permissions.sees_all_cases(user):
        return qs
    if not has_role(user, Role.AGENT, Role.SUPERVISOR):
        return qs.none()
    return qs.filter(case__queue_id__in=case_permissions.member_queue_ids(user))


def with_details(qs: QuerySet[Refund]) -> QuerySet[Refund]:
    """What a refund shows (RefundOutput): its case, order and requester, its approvals with their
    approvers and its attempts, in a fixed number of queries however many refunds there are."""
    return qs.select_related("case", "order", "requester").prefetch_related(
        Prefetch(
            "approvals",
            queryset=RefundApproval.objects.select_related("approver").order_by("created_at", "id"),
        ),
        Prefetch("attempts", queryset=RefundAttempt.objects.order_by("number")),
    )


def refund_list(user) -> QuerySet[Refund]:
    return with_details(refunds_visible_to(user)).order_by("-created_at", "-id")


def approvals_inbox(user) -> QuerySet[Refund]:
    """Refunds waiting for a decision that this user may take (their own shown, not decidable)."""
    qs = refund_list(user).filter(status=RefundStatus.PENDING_APPROVAL)
    may, limit = policy.approver_limit(user, "CNY")
    if not may:
        return qs.none()
    if limit is not None:  # what they may decide, and their own requests (shown, not decidable)
        qs = qs.filter(policy.within_limit_q(limit) | Q(requester=user))
    return qs.prefetch_related(
        Prefetch(
            "case__sla_clocks",
            queryset=SlaClock.objects.filter(metric="refund_approval").select_related("calendar"),
        )
    ).order_by("created_at", "id")


def approvals_waiting(user, *, up_to: int) -> int:
    """How many refunds are in the user's inbox, counted up to `up_to + 1` (more is "more than")."""
    return approvals_inbox(user).order_by().values("pk")[: up_to + 1].count()


def refunds_of_case(case) -> QuerySet[Refund]:
    return with_details(Refund.objects.filter(case=case)).order_by("created_at", "id")


def workspace_facts() -> dict:
    """What the case workspace's refund panel needs to know before it reads anything, read with
    the case (`settings.CASE_WORKSPACE_FACTS`): whether the case has refunds (most have none: then
    the panel reads none) and what its order's refunds already count against it."""
    return {
        "refunds_exist": Exists(Refund.objects.filter(case_id=OuterRef("pk"))),
        "refunds_counted_on_order": policy.counted_on_order_sql(OuterRef("recharge_order_id")),
    }


def finance_console(user) -> QuerySet[Refund]:
    """The refunds of the finance console the user may see (the console's FilterSet narrows them
    to those needing finance). Bare rows: a page is found on the refunds alone (joining the cases
    and orders first made PostgreSQL join every candidate before sorting), then
    `finance_console_rows` reads the page's details."""
    return refunds_visible_to(user)


def finance_console_rows(pks: list[int]) -> list[Refund]:
    """The refunds `pks`, in that order, each with its case, customer, queue, order, requester,
    approvals and attempts: a fixed number of queries however many there are."""
    found = with_details(Refund.objects.filter(pk__in=pks)).select_related(
        "case__customer", "case__queue"
    )
    by_pk = {refund.pk: refund for refund in found}
    return [by_pk[pk] for pk in pks if pk in by_pk]
