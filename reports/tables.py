"""Report rows as tables for the pages and the CSV/XLSX exports, and the data of their charts.

A ``Table`` holds plain values (numbers stay numbers, times stay datetimes): the exports write them
as they are, the pages show ``Table.display()``. Headers and labels are translated when built, so
build tables inside the request's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.choices import Category, RootCause
from reports.params import GROUP_BY, Period
from reports.queries import AGE_BUCKETS, AgeingRow, Group, RefundRow, RootCauseRow, SlaRow
from reports.regulatory import DIMENSIONS as REGULATORY_DIMENSIONS
from sla.choices import Metric


@dataclass(frozen=True)
class Cell:
    text: str
    numeric: bool = False
    url: str | None = None


@dataclass
class Table:
    name: str  # file name stem of the exports
    title: str
    headers: list[str]
    rows: list[list]
    numeric: set[int] = field(default_factory=set)  # column positions shown right-aligned
    links: dict[int, str] = field(default_factory=dict)  # column → URL name taking the cell text
    footer: list | None = None

    def display(self) -> list[list[Cell]]:
        return [self._cells(row) for row in self.rows]

    def display_footer(self) -> list[Cell] | None:
        return None if self.footer is None else self._cells(self.footer)

    def _cells(self, row: list) -> list[Cell]:
        cells = []
        for i, value in enumerate(row):
            url = reverse(self.links[i], args=[value]) if i in self.links and value else None
            cells.append(Cell(show(value), numeric=i in self.numeric, url=url))
        return cells

    def export_rows(self) -> list[list]:
        return [*self.rows, *([self.footer] if self.footer else [])]


def show(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def group_label(group: Group, group_by: str) -> str:
    if group_by == "agent" and group.key is None:
        return _("Unassigned")
    if group_by in ("queue", "agent") and group.label != group.code:
        return f"{group.label} ({group.code})"
    return group.label


def _stem(report: str, period: Period | None, *extra: str) -> str:
    parts = [report, *extra]
    if period is not None:
        parts += [period.start.isoformat(), period.end.isoformat()]
    return "-".join(parts)


def _chart(kind: str, labels: list[str], datasets: list[dict], **options) -> dict:
    return {"type": kind, "labels": labels, "datasets": datasets, **options}


# --- SLA ------------------------------------------------------------------------------------------


def sla(rows: list[SlaRow], totals: SlaRow, group_by: str, period: Period) -> tuple[Table, dict]:
    headers = [
        str(GROUP_BY[group_by]),
        _("Cases received"),
        _("Met"),
        _("Breached"),
        _("Achievement %"),
        _("First response median (business min)"),
        _("First response P90 (business min)"),
        _("Resolution median (business min)"),
        _("Resolution P90 (business min)"),
        _("Open backlog"),
    ]
    body = [
        [
            group_label(row.group, group_by),
            row.cases,
            row.met,
            row.breached,
            row.achievement,
            row.first_response_median,
            row.first_response_p90,
            row.resolution_median,
            row.resolution_p90,
            row.open_backlog,
        ]
        for row in rows
    ]
    footer = [_("Total"), totals.cases, totals.met, totals.breached, totals.achievement]
    footer += [None] * 4 + [totals.open_backlog]
    table = Table(
        name=_stem("sla", period, group_by),
        title=_("SLA achievement"),
        headers=headers,
        rows=body,
        numeric=set(range(1, 10)),
        footer=footer,
    )
    shown = [row for row in rows if row.achievement is not None]
    chart = _chart(
        "bar",
        [group_label(row.group, group_by) for row in shown],
        [{"label": _("Achievement %"), "data": [row.achievement for row in shown]}],
        max=100,
    )
    return table, chart


# --- lists ----------------------------------------------------------------------------------------


def _metric(code: str) -> str:
    try:
        return str(Metric(code).label)
    except ValueError:
        return code


def breaches(rows: list[dict], period: Period) -> Table:
    return Table(
        name=_stem("breaches", period),
        title=_("Breaches"),
        headers=[
            _("Case"),
            _("Subject"),
            _("Metric"),
            _("Due"),
            _("Breached at"),
            _("Stopped"),
            _("Assignee"),
            _("Queue"),
        ],
        rows=[
            [
                row["reference"],
                row["case_subject"],
                _metric(row["metric"]),
                row["due_at"],
                row["breached_at"],
                row["stopped_at"],
                row["assignee"] or _("Unassigned"),
                row["queue_name"],
            ]
            for row in rows
        ],
        links={0: "cases:case_detail"},
    )


def deadlines(rows: list[dict]) -> Table:
    return Table(
        name="regulatory-deadlines",
        title=_("Regulatory deadlines"),
        headers=[
            _("Case"),
            _("Subject"),
            _("Due"),
            _("Extensions taken"),
            _("Assignee"),
            _("Queue"),
        ],
        rows=[
            [
                row["reference"],
                row["case_subject"],
                row["due_at"],
                row["extension_level"],
                row["assignee"] or _("Unassigned"),
                row["queue_name"],
            ]
            for row in rows
        ],
        numeric={3},
        links={0: "cases:case_detail"},
    )


# --- ageing, root causes, refunds -----------------------------------------------------------------


def ageing(rows: list[AgeingRow], group_by: str) -> tuple[Table, dict]:
    buckets = [_("%(range)s working days") % {"range": label} for _l, _h, label in AGE_BUCKETS]
    totals = [sum(row.buckets[i] for row in rows) for i in range(len(AGE_BUCKETS))]
    table = Table(
        name=_stem("ageing", None, group_by),
        title=_("Backlog ageing"),
        headers=[str(GROUP_BY[group_by]), *buckets, _("Total")],
        rows=[[group_label(row.group, group_by), *row.buckets, row.total] for row in rows],
        numeric=set(range(1, len(AGE_BUCKETS) + 2)),
        footer=[_("Total"), *totals, sum(totals)],
    )
    chart = _chart(
        "bar",
        buckets,
        [{"label": _("Open cases"), "data": totals}],
    )
    return table, chart


def root_causes(rows: list[RootCauseRow], period: Period) -> tuple[Table, dict]:
    table = Table(
        name=_stem("root-causes", period),
        title=_("Root causes"),
        headers=[_("Category"), _("Root cause"), _("Cases")],
        rows=[
            [_label(Category, r.category), _label(RootCause, r.root_cause), r.count] for r in rows
        ],
        numeric={2},
        footer=[_("Total"), "", sum(r.count for r in rows)],
    )
    categories = [c for c in Category.values if any(r.category == c for r in rows)]
    causes = [c for c in RootCause.values if any(r.root_cause == c for r in rows)]
    counts = {(r.category, r.root_cause): r.count for r in rows}
    chart = _chart(
        "bar",
        [_label(Category, c) for c in categories],
        [
            {
                "label": _label(RootCause, cause),
                "data": [counts.get((c, cause), 0) for c in categories],
            }
            for cause in causes
        ],
        stacked=True,
        horizontal=True,
    )
    return table, chart


def refunds(rows: list[RefundRow], period: Period, labels: dict) -> tuple[Table, dict]:
    """`labels`: status and liability codes → their labels (the refunds app's choices)."""
    table = Table(
        name=_stem("refunds", period),
        title=_("Refunds"),
        headers=[_("Status"), _("Liability"), _("Currency"), _("Refunds"), _("Amount")],
        rows=[
            [
                labels.get(r.status, r.status),
                labels.get(r.liability, r.liability),
                r.currency,
                r.count,
                r.amount,
            ]
            for r in rows
        ],
        numeric={3, 4},
    )
    statuses = list(dict.fromkeys(r.status for r in rows))
    liabilities = list(dict.fromkeys(r.liability for r in rows))
    amounts: dict[tuple, Decimal] = {}
    for r in rows:
        amounts[(r.status, r.liability)] = amounts.get((r.status, r.liability), 0) + r.amount
    chart = _chart(
        "bar",
        [labels.get(s, s) for s in statuses],
        [
            {
                "label": labels.get(liability, liability),
                "data": [float(amounts.get((s, liability), 0)) for s in statuses],
            }
            for liability in liabilities
        ],
        stacked=True,
    )
    return table, chart


def _label(choices, code: str) -> str:
    try:
        return str(choices(code).label)
    except ValueError:
        return code


# --- The regulator's statistics -----------------------------------------------------------------


def regulatory(rows: list) -> tuple[list[dict], dict]:
    """One table per breakdown of the report (`reports.regulatory.Row`s), and the chart of the
    level-1 causes: received, handled and handled in time."""
    from_dimension: dict[str, list] = {}
    for row in rows:
        from_dimension.setdefault(row.dimension, []).append(row)
    headers = [
        _("Code or place"),
        _("Name"),
        _("Received"),
        _("Handled"),
        _("Handled in time"),
        _("Extended"),
        _("Open at the period's end"),
    ]
    sections = []
    for dimension, title in REGULATORY_DIMENSIONS.items():
        found = from_dimension.get(dimension, [])
        if not found and dimension != "total":
            continue
        table = Table(
            name=f"regulatory-{dimension}",
            title=str(title),
            headers=headers,
            rows=[
                [r.key or "—", r.label, r.received, r.handled, r.handled_in_time, r.extended,
                 r.open_at_end]
                for r in found
            ],
            numeric={2, 3, 4, 5, 6},
        )  # fmt: skip
        sections.append({"title": str(title), "table": table, "rows": table.display()})
    causes = from_dimension.get("c1", [])
    chart = _chart(
        "bar",
        [f"{r.key} {r.label}" if r.key else r.label for r in causes],
        [
            {"label": _("Received"), "data": [r.received for r in causes]},
            {"label": _("Handled"), "data": [r.handled for r in causes]},
            {"label": _("Handled in time"), "data": [r.handled_in_time for r in causes]},
        ],
        horizontal=True,
    )
    return sections, chart
