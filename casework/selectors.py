"""Reads of the cases app: querysets with what each screen needs, in a deterministic order."""

from functools import cache

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from backoffice.db import json_rows
from backoffice.errors import NotFound
from backoffice.wiring import plugged
from cases import permissions, policy
from cases.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseFlag,
    ContactChange,
    ContactChangeStatus,
    CreditAccountSnapshot,
    Customer,
    Message,
    Queue,
    RechargeOrder,
)
from cases.phones import phone_or_none
from sla.models import SlaClock


def cases_visible_to(user) -> QuerySet[Case]:
    """The cases a user may see: all for managers and finance, their queues' for agents."""
    return only_visible(Case.objects.all(), user)


def only_visible(cases: QuerySet[Case], user) -> QuerySet[Case]:
    """Those of `cases` the user may see (a clone)."""
    if permissions.sees_all_cases(user):
        return cases.all()
    if not user.is_authenticated:
        return cases.none()
    return cases.filter(queue_id__in=permissions.member_queue_ids(user))


def case_timeline(case: Case) -> QuerySet[CaseEvent]:
    """The case's events and those of cases merged into it, oldest first.

    The cases are picked in a subquery (the primary key and the `merged_into` index), then their
    events by `event_timeline`: an `OR` across the join to the cases would make PostgreSQL scan
    every event (1.1 s at 1,000,000 cases)."""
    cases = Case.objects.filter(Q(pk=case.pk) | Q(merged_into=case)).values("pk")
    return (
        CaseEvent.objects.filter(case_id__in=cases)
        .select_related("actor", "case")
        .order_by("created_at", "id")
    )


# What a timeline entry shows: the event, who did it and, for an event of a case merged into this
# one, that case's reference (not the whole case and user rows the joins would otherwise select).
TIMELINE_COLUMNS = (
    "id",
    "case_id",
    "type",
    "actor_id",
    "payload",
    "created_at",
    "case__reference",
    "actor__username",
)


def case_timeline_page(case: Case, *, before: int | None, size: int) -> list[CaseEvent]:
    """One page of the timeline, newest first: `size + 1` events at most (the one past the page
    says there are older ones), before event `before` when given.

    Found backwards through `event_timeline` and cut at the page, so a page costs the same for a
    case with 5 events as for one with 5,000. `before` is an event of the case's own timeline; an
    id from elsewhere only moves the boundary (the events are still this timeline's)."""
    events = case_timeline(case).order_by("-created_at", "-id").only(*TIMELINE_COLUMNS)
    if before is not None:
        at = Subquery(CaseEvent.objects.filter(pk=before).values("created_at")[:1])
        events = events.filter(Q(created_at__lt=at) | Q(created_at=at, pk__lt=before))
    return list(events[: size + 1])


def latest_own_event() -> Subquery:
    """The id of a case's latest own timeline event (its version, 0 before any), to annotate the
    case with: one index probe."""
    return Coalesce(
        Subquery(CaseEvent.objects.filter(case_id=OuterRef("pk")).order_by("-id").values("pk")[:1]),
        0,
    )


def case_version(case: Case) -> int:
    """The case's version: the id of its latest timeline event (0 before any)."""
    latest = CaseEvent.objects.filter(case_id=case.pk).order_by("-id").values_list("pk", flat=True)
    return latest.first() or 0


def case_changes_since(case: Case, version: int) -> list[CaseEvent]:
    """The changes of the case after timeline event `version` (its page's version), oldest first.

    The case row is locked first (inside the caller's transaction): every service locks it before
    it records its events, so a change either shows here or waits for the caller's write to end."""
    list(Case.objects.select_for_update(no_key=True).filter(pk=case.pk).values_list("pk"))
    return list(
        CaseEvent.objects.filter(case_id=case.pk, pk__gt=version)
        .exclude(type__in=list(policy.NOT_A_CHANGE))
        .select_related("actor", "case")
        .order_by("id")
    )


def search_condition(term: str) -> Q:
    """Cases whose reference, customer id, customer phone, order id or order phone is `term`.

    The customers and orders are looked up first (two statements, each on its own unique or plain
    index), so the case query is `reference = … OR customer_id = ANY(…) OR recharge_order_id =
    ANY(…)`, which PostgreSQL answers with three index scans. The same test as one `OR` across the
    joins scanned every case: 1.5–1.7 s at 1,000,000 cases."""
    term = term.strip()
    phone = phone_or_none(term)
    customers = Q(external_id=term) | (Q(phone=phone) if phone else Q(pk__in=[]))
    orders = Q(order_id=term) | (Q(phone=phone) if phone else Q(pk__in=[]))
    return (
        Q(reference=term.upper())
        | Q(customer_id__in=list(Customer.objects.filter(customers).values_list("pk", flat=True)))
        | Q(
            recharge_order_id__in=list(
                RechargeOrder.objects.filter(orders).values_list("pk", flat=True)
            )
        )
    )


def case_list(user) -> QuerySet[Case]:
    """The visible cases with what a list row shows: customer, queue, assignee, flags, clocks."""
    return with_list_related(cases_visible_to(user))


def with_list_related(cases: QuerySet[Case]) -> QuerySet[Case]:
    """What a list row (and the API's case output) shows, loaded with the cases."""
    return cases.select_related("customer", "queue", "assignee", "duplicate_of").prefetch_related(
        Prefetch(
            "flags", queryset=CaseFlag.objects.filter(cleared_at__isnull=True).order_by("code")
        ),
        Prefetch(
            "sla_clocks",
            queryset=SlaClock.objects.select_related("calendar").order_by("metric", "pk"),
        ),
    )


def case_as_loaded(case: Case, *, flags: list[CaseFlag], clocks: list[SlaClock]) -> Case:
    """The case as `with_list_related` loads it, from its flags and clocks already in hand (e.g.
    those its intake just wrote): no reads."""
    cache = case.__dict__.setdefault("_prefetched_objects_cache", {})
    for name, rows in (
        ("flags", sorted((f for f in flags if f.cleared_at is None), key=lambda f: f.code)),
        ("sla_clocks", sorted(clocks, key=lambda c: (c.metric, c.pk))),
    ):
        loaded = getattr(case, name).get_queryset()
        loaded._result_cache, loaded._prefetch_done = rows, True
        cache[name] = loaded
    return case


def case_detail(user) -> QuerySet[Case]:
    """A case with all the workspace and the API detail show.

    The case it was merged into and its incident are prefetched, not joined: few cases have
    either (no query then), and with them the case's statement joined ten tables, which took
    PostgreSQL 8 ms to plan at 1,000,000 cases (5.5 ms at 10,000) on each connection's first
    executions, before its plan is cached. Joined as here: 2.9 ms."""
    return (
        case_list(user)
        .select_related("recharge_order", "credit_account")
        .prefetch_related(
            "merged_into",
            "incident",
            Prefetch(
                "messages",
                queryset=Message.objects.select_related("author").order_by("created_at", "id"),
            ),
        )
    )


def _columns(prefix: str, model) -> list[str]:
    return [prefix + f.name for f in model._meta.concrete_fields]


@cache
def _workspace_columns() -> tuple[str, ...]:
    """The workspace case's columns: every column of the case and of the rows its panels show
    whole (customer, queue, order, credit account), and only the name of its assignee and the
    reference of the case it may duplicate (not their whole rows: a user's password hash, a
    case's description)."""
    return (
        *_columns("", Case),
        *_columns("customer__", Customer),
        *_columns("queue__", Queue),
        *_columns("recharge_order__", RechargeOrder),
        *_columns("credit_account__", CreditAccountSnapshot),
        "assignee__username",
        "duplicate_of__reference",
    )


def workspace_facts() -> dict:
    """What the upper apps' workspace panels need to know before they read (whether the case has
    refunds, surveys, status links…), from `settings.CASE_WORKSPACE_FACTS`: annotated on the
    case's statement, so a panel with nothing to show reads nothing."""
    facts = {}
    for provider in plugged("CASE_WORKSPACE_FACTS"):
        facts.update(provider())
    return facts


def case_workspace(user) -> QuerySet[Case]:
    """A case with what the workspace shows: as `case_detail` without the messages (the page's
    timeline reads those of the events it shows, whatever the case's history), with its version
    (`version`: the latest own timeline event) and whether it has what most cases have none of
    (`has_files`, `has_contact_changes` pending for its customer, `has_followers`: later cases
    that follow it, and the upper apps' `workspace_facts`), each an index probe, so the panels
    read those rows only when there are some."""
    return only_visible(_workspace_cases(), user)


def workspace_case(cases: QuerySet[Case]) -> Case | None:
    """The first of `cases` (a `case_workspace` queryset), its flags and clocks as loaded."""
    case = cases.first()
    if case is not None and hasattr(case, "flag_rows"):
        case_as_loaded(
            case,
            flags=json_rows.instances(CaseFlag, case.flag_rows),
            clocks=json_rows.instances(SlaClock, case.clock_rows, nested=("calendar",)),
        )
    return case


@cache
def _workspace_cases() -> QuerySet[Case]:
    """`case_workspace` before the user's scope, built once per process (its joins, columns and
    subqueries took a tenth of the page's time to build again on every request): never evaluated
    itself, each use is a clone. On PostgreSQL the case's statement brings its active flags and
    its clocks (with their calendars) along as JSON (`flag_rows`, `clock_rows`: read them through
    `workspace_case`), two statements fewer; elsewhere they are prefetched as for a list row."""
    if connection.vendor == "postgresql":
        cases = Case.objects.select_related(
            "customer", "queue", "assignee", "duplicate_of"
        ).annotate(
            flag_rows=json_rows.rows_subquery(
                CaseFlag, owner=Case, by="case", null=("cleared_at",), order_by=("code",)
            ),
            clock_rows=json_rows.rows_subquery(
                SlaClock, owner=Case, by="case", order_by=("metric", "id"), nested=("calendar",)
            ),
        )
    else:
        cases = with_list_related(Case.objects.all())
    return (
        # The case it was merged into and its incident are read when there is one (few cases):
        # a prefetch compiled its statement for nothing on every other case.
        cases.select_related("recharge_order", "credit_account")
        .only(*_workspace_columns())
        .annotate(
            **workspace_facts(),
            version=latest_own_event(),
            has_files=Exists(Attachment.objects.filter(case_id=OuterRef("pk"))),
            has_contact_changes=Exists(
                ContactChange.objects.filter(
                    customer_id=OuterRef("customer_id"), status=ContactChangeStatus.PENDING
                )
            ),
            has_followers=Exists(Case.objects.filter(follows_id=OuterRef("pk"))),
        )
    )


def case_for_update(user, reference: str) -> Case:
    """A visible case by reference, or NotFound (cases outside the user's scope are not revealed)."""
    case = cases_visible_to(user).select_related("queue").filter(reference=reference).first()
    if case is None:
        raise NotFound(_("No case %(reference)s.") % {"reference": reference})
    return case


def pending_contact_changes(customer_id: int) -> list[ContactChange]:
    """The customer's contact changes waiting for an agent, oldest first."""
    return list(
        ContactChange.objects.filter(customer_id=customer_id, status=ContactChangeStatus.PENDING)
        .select_related("requested_by")
        .order_by("requested_at", "id")
    )


def is_customer_of(case: Case, external_id: str) -> bool:
    """Whether the customer an intake names is the case's (one indexed lookup)."""
    return Customer.objects.filter(pk=case.customer_id, external_id=external_id.strip()).exists()


def case_files(case: Case) -> list[Attachment]:
    """The case's files, oldest first, with who uploaded each (one query)."""
    return list(
        Attachment.objects.filter(case_id=case.pk)
        .select_related("uploaded_by")
        .order_by("created_at", "id")
    )


def case_file(user, reference: str, pk: int) -> Attachment:
    """One file of a case the user may see, or NotFound (as for a case outside their scope)."""
    case = case_for_update(user, reference)
    attachment = Attachment.objects.filter(case_id=case.pk, pk=pk).first()
    if attachment is None:
        raise NotFound(_("No such file on case %(reference)s.") % {"reference": reference})
    attachment.case = case
    return attachment
