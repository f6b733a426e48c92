"""The report reads. Every figure is a SQL aggregate grouped by a case field; lists (breaches,
deadlines) are `values()` rows. No case is ever loaded into Python.

Definitions (docs/benchmarks.md, "## Reports", says what each costs):

* **cases**: cases received in the period (``Case.received_at``).
* **met / breached / achievement**: SLA clocks of every metric *stopped* in the period
  (``stopped_at``), by state; achievement = met ÷ (met + breached) in percent, one decimal, ``None``
  when nothing stopped. Cancelled clocks and clocks still running (even if already breached) count
  in neither (spec/SLA.md). They are grouped by the case's queue, assignee, category, priority or
  channel **when the clock stopped** (the clock's fact row, ``SlaClockStop``).
* **first response / resolution**: median and 90th percentile, in business minutes, of the
  ``first_response`` and ``resolution`` clocks stopped in the period (``reports.durations``).
* **cases received** and **open backlog** are grouped by the case's fields as they are now.
* **open backlog**: cases open now (not limited to the period).
* **breaches**: clocks whose ``breached_at`` is in the period, stopped or not.
* **ageing**: open cases by working days since the local date they were received (that day not
  counted): 0–1, 2–3, 4–7, 8–15, 16+.
* **root causes**: cases resolved in the period (their latest ``resolved_at``) by category and root
  cause.
* **refunds**: refunds requested in the period by status, liability and currency, count and sum.
* **deadlines**: running regulatory-decision clocks due within the next three days.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import Count, F, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from backoffice.calendars.business import BusinessIndex
from backoffice.calendars.services import calendar_spec
from cases.choices import OPEN_STATUSES, Category, Channel, Priority, RootCause
from cases.models import Case, Queue
from reports import durations
from reports.params import Period, local_today, zone
from sla.choices import RUNNING_STATES, Metric
from sla.models import SlaClock

# group_by → the case field it groups by
CASE_FIELD = {
    "queue": "queue_id",
    "category": "category",
    "priority": "priority",
    "agent": "assignee_id",
    "channel": "channel",
}
CHOICES = {"category": Category, "priority": Priority, "channel": Channel}
AGE_BUCKETS = ((0, 1, "0–1"), (2, 3, "2–3"), (4, 7, "4–7"), (8, 15, "8–15"), (16, None, "16+"))
DEADLINE_WINDOW = timedelta(days=3)


# --- groups ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    key: object  # the case field's value (a queue or user id for queue and agent)
    code: str | None  # what the API shows: queue code, username, choice code; None = no assignee
    label: str  # what a page shows


def groups(group_by: str, keys) -> dict[object, Group]:
    """Every group of the dimension (all choices, all queues) plus those in `keys` (agents)."""
    keys = set(keys)
    if group_by in CHOICES:
        found = {
            choice.value: Group(choice.value, choice.value, str(choice.label))
            for choice in CHOICES[group_by]
        }
        for key in keys - set(found):  # a stored value the choices no longer list
            found[key] = Group(key, key, key)
        return found
    if group_by == "queue":
        return {
            pk: Group(pk, code, name)
            for pk, code, name in Queue.objects.order_by("code").values_list("pk", "code", "name")
        }
    users = (
        get_user_model()
        .objects.filter(pk__in=keys - {None})
        .order_by("username")
        .values_list("pk", "username", "first_name", "last_name")
    )
    found = {
        pk: Group(pk, username, f"{last}{first}".strip() or username)
        for pk, username, first, last in users
    }
    if None in keys:
        found[None] = Group(None, None, "")
    return found


def _sorted(found: dict[object, Group], group_by: str) -> list[Group]:
    if group_by in CHOICES:
        order = {value: i for i, value in enumerate(CHOICES[group_by].values)}
        return sorted(found.values(), key=lambda g: (order.get(g.key, len(order)), str(g.key)))
    return sorted(found.values(), key=lambda g: (g.code is None, g.code or ""))


# --- SLA ------------------------------------------------------------------------------------------


@dataclass
class SlaRow:
    group: Group
    cases: int = 0
    met: int = 0
    breached: int = 0
    first_response_median: float | None = None
    first_response_p90: float | None = None
    resolution_median: float | None = None
    resolution_p90: float | None = None
    open_backlog: int = 0

    @property
    def achievement(self) -> float | None:
        stopped = self.met + self.breached
        return round(100 * self.met / stopped, 1) if stopped else None


def _counts(queryset, key: str, **aggregates) -> dict:
    return {
        row.pop("grp"): row for row in queryset.order_by().values(grp=F(key)).annotate(**aggregates)
    }


def sla_report(period: Period, group_by: str) -> list[SlaRow]:
    """One row per group: two aggregate queries on cases, one statement on the clocks' fact rows
    (grouped by the case's field when each clock stopped)."""
    field_name = CASE_FIELD[group_by]
    start, end = period.bounds
    received = _counts(
        Case.objects.filter(received_at__gte=start, received_at__lt=end),
        field_name,
        n=Count("pk"),
    )
    backlog = _counts(Case.objects.filter(status__in=OPEN_STATUSES), field_name, n=Count("pk"))
    clocks = durations.clock_figures(period, field_name)
    found = groups(group_by, {*received, *backlog, *clocks})
    rows = []
    for group in _sorted(found, group_by):
        figures = clocks.get(group.key, durations.ClockFigures())
        rows.append(
            SlaRow(
                group=group,
                cases=received.get(group.key, {}).get("n", 0),
                open_backlog=backlog.get(group.key, {}).get("n", 0),
                **asdict(figures),
            )
        )
    return rows


def sla_totals(rows: list[SlaRow]) -> SlaRow:
    """The sums of a report's rows (no percentiles: they do not add up)."""
    total = SlaRow(group=Group("", "", ""))
    for row in rows:
        total.cases += row.cases
        total.met += row.met
        total.breached += row.breached
        total.open_backlog += row.open_backlog
    return total


# --- breaches and deadlines -----------------------------------------------------------------------

CLOCK_ROW = {
    "reference": F("case__reference"),
    "case_subject": F("case__subject"),
    "assignee": F("case__assignee__username"),
    "queue": F("case__queue__code"),
    "queue_name": F("case__queue__name"),
}


def breaches(period: Period):
    """Clocks breached in the period, latest first: `values()` rows, slice for a page."""
    start, end = period.bounds
    return (
        SlaClock.objects.filter(breached_at__gte=start, breached_at__lt=end)
        .order_by("-breached_at", "-pk")
        .values("metric", "due_at", "breached_at", "stopped_at", **CLOCK_ROW)
    )


def deadlines(now: datetime | None = None):
    """Running regulatory-decision clocks due within three days from now, soonest first."""
    now = now or timezone.now()
    return (
        SlaClock.objects.filter(
            metric=Metric.REGULATORY_DECISION,
            state__in=RUNNING_STATES,
            due_at__gte=now,
            due_at__lte=now + DEADLINE_WINDOW,
        )
        .order_by("due_at", "pk")
        .values("due_at", "extension_level", "past_verified", **CLOCK_ROW)
    )


# --- backlog ageing -------------------------------------------------------------------------------


@dataclass
class AgeingRow:
    group: Group
    buckets: list[int] = field(default_factory=lambda: [0] * len(AGE_BUCKETS))

    @property
    def total(self) -> int:
        return sum(self.buckets)


def bucket_of(age: int) -> int:
    for i, (low, high, _label) in enumerate(AGE_BUCKETS):
        if age >= low and (high is None or age <= high):
            return i
    raise ValueError(age)


def ageing(group_by: str, today: date | None = None) -> list[AgeingRow]:
    """Open cases by group and working days open; one query grouped by (group, local day)."""
    today = today or local_today()
    rows = list(
        Case.objects.filter(status__in=OPEN_STATUSES)
        .order_by()
        .values(grp=F(CASE_FIELD[group_by]), day=TruncDate("received_at", tzinfo=zone()))
        .annotate(n=Count("pk"))
    )
    found = groups(group_by, {row["grp"] for row in rows})
    by_key = {group.key: AgeingRow(group) for group in _sorted(found, group_by)}
    if rows:
        first = min(min(row["day"] for row in rows), today)
        index = BusinessIndex(calendar_spec(), first, max(today, *(row["day"] for row in rows)))
        for row in rows:
            age = index.working_days_after(row["day"], today)
            by_key[row["grp"]].buckets[bucket_of(age)] += row["n"]
    return list(by_key.values())


# --- root causes and refunds ----------------------------------------------------------------------


@dataclass(frozen=True)
class RootCauseRow:
    category: str
    root_cause: str
    count: int


def root_causes(period: Period) -> list[RootCauseRow]:
    start, end = period.bounds
    rows = (
        Case.objects.filter(resolved_at__gte=start, resolved_at__lt=end)
        .exclude(root_cause="")
        .order_by()
        .values("category", "root_cause")
        .annotate(n=Count("pk"))
    )
    category_order = {value: i for i, value in enumerate(Category.values)}
    cause_order = {value: i for i, value in enumerate(RootCause.values)}
    result = [RootCauseRow(row["category"], row["root_cause"], row["n"]) for row in rows]
    return sorted(
        result,
        key=lambda r: (category_order.get(r.category, 99), cause_order.get(r.root_cause, 99)),
    )


def _cents(amount) -> Decimal:
    """Two places whatever the database sums to (SQLite: Decimal("30"))."""
    return Decimal(amount or 0).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class RefundRow:
    status: str
    liability: str
    currency: str
    count: int
    amount: Decimal


def _refund_model():
    try:
        return apps.get_model("refunds", "Refund")
    except LookupError:
        return None


def refund_labels() -> dict[str, str]:
    """Refund status and liability codes → their labels."""
    model = _refund_model()
    if model is None:
        return {}
    labels = {}
    for name in ("status", "liability"):
        labels.update({code: str(label) for code, label in model._meta.get_field(name).choices})
    return labels


def refunds(period: Period) -> list[RefundRow]:
    """Refunds requested in the period. The model is looked up in the app registry: `cases`
    never imports `refunds`; without the refunds app there are none."""
    refund_model = _refund_model()
    if refund_model is None:
        return []
    start, end = period.bounds
    rows = (
        refund_model.objects.filter(created_at__gte=start, created_at__lt=end)
        .order_by()
        .values("status", "liability", "currency")
        .annotate(n=Count("pk"), total=Sum("amount"))
    )
    statuses = [value for value, _label in refund_model._meta.get_field("status").choices]
    liabilities = [value for value, _label in refund_model._meta.get_field("liability").choices]

    def order(row):
        return (
            statuses.index(row.status) if row.status in statuses else 99,
            liabilities.index(row.liability) if row.liability in liabilities else 99,
            row.currency,
        )

    result = [
        RefundRow(row["status"], row["liability"], row["currency"], row["n"], _cents(row["total"]))
        for row in rows
    ]
    return sorted(result, key=order)
