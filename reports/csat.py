"""The satisfaction (CSAT) report: surveys offered in the period (`Satisfaction.offered_at`,
the resolution of a cycle), grouped by the queue, agent, category or root cause copied onto the
survey at resolution. One aggregate query; no survey is loaded into Python.

* **offered**: surveys offered in the period; **answered**: those with a score;
* **response rate**: answered ÷ offered in percent, one decimal (None when none was offered);
* **average score**: mean of the scores, two decimals (None when none answered);
* **CSAT %**: answers scoring 4 or 5 ÷ answered, in percent, one decimal;
* **low scores**: answers at or below `CSAT_FOLLOW_UP_MAX_SCORE` (those open a follow-up).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Avg, Count, F, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.choices import RootCause
from portal.models import Satisfaction
from reports.params import Period
from reports.queries import Group, _sorted, groups
from reports.tables import Table, _chart, _stem, group_label

CSAT_GROUP_BY = {
    "queue": gettext_lazy("Queue"),
    "agent": gettext_lazy("Agent"),
    "category": gettext_lazy("Category"),
    "root_cause": gettext_lazy("Root cause"),
}
SURVEY_FIELD = {
    "queue": "queue_id",
    "agent": "agent_id",
    "category": "category",
    "root_cause": "root_cause",
}


@dataclass
class CsatRow:
    group: Group
    offered: int = 0
    answered: int = 0
    satisfied: int = 0  # scores 4–5
    low: int = 0
    average: float | None = None

    @property
    def response_rate(self) -> float | None:
        return round(100 * self.answered / self.offered, 1) if self.offered else None

    @property
    def csat(self) -> float | None:
        return round(100 * self.satisfied / self.answered, 1) if self.answered else None


def _groups(group_by: str, keys) -> dict[object, Group]:
    if group_by != "root_cause":
        return groups(group_by, keys)
    found = {c.value: Group(c.value, c.value, str(c.label)) for c in RootCause}
    for key in set(keys) - set(found):  # "" (no root cause) or a value the choices dropped
        found[key] = Group(key, key, key or "—")
    return found


def _order(found: dict[object, Group], group_by: str) -> list[Group]:
    if group_by != "root_cause":
        return _sorted(found, group_by)
    order = {value: i for i, value in enumerate(RootCause.values)}
    return sorted(found.values(), key=lambda g: (order.get(g.key, len(order)), str(g.key)))


def csat_report(period: Period, group_by: str) -> list[CsatRow]:
    start, end = period.bounds
    low = settings.CSAT_FOLLOW_UP_MAX_SCORE
    rows = {
        row.pop("grp"): row
        for row in Satisfaction.objects.filter(offered_at__gte=start, offered_at__lt=end)
        .order_by()
        .values(grp=F(SURVEY_FIELD[group_by]))
        .annotate(
            offered=Count("pk"),
            answered=Count("pk", filter=Q(score__isnull=False)),
            satisfied=Count("pk", filter=Q(score__gte=4)),
            low=Count("pk", filter=Q(score__lte=low)),
            average=Avg("score"),
        )
    }
    found = _groups(group_by, rows)
    result = []
    for group in _order(found, group_by):
        row = rows.get(group.key, {})
        average = row.get("average")
        result.append(
            CsatRow(
                group=group,
                offered=row.get("offered", 0),
                answered=row.get("answered", 0),
                satisfied=row.get("satisfied", 0),
                low=row.get("low", 0),
                average=None if average is None else round(float(average), 2),
            )
        )
    return result


def csat_totals(period: Period) -> CsatRow:
    """The whole period in one row (its average over every answer, not of the groups')."""
    start, end = period.bounds
    low = settings.CSAT_FOLLOW_UP_MAX_SCORE
    totals = Satisfaction.objects.filter(offered_at__gte=start, offered_at__lt=end).aggregate(
        offered=Count("pk"),
        answered=Count("pk", filter=Q(score__isnull=False)),
        satisfied=Count("pk", filter=Q(score__gte=4)),
        low=Count("pk", filter=Q(score__lte=low)),
        average=Avg("score"),
    )
    average = totals.pop("average")
    return CsatRow(
        group=Group("", "", ""),
        **totals,
        average=None if average is None else round(float(average), 2),
    )


def csat_table(
    rows: list[CsatRow], totals: CsatRow, group_by: str, period: Period
) -> tuple[Table, dict]:
    """The page's table (and its CSV/XLSX downloads) and chart: CSAT % per group."""
    body = [
        [
            group_label(row.group, group_by),
            row.offered,
            row.answered,
            row.response_rate,
            row.average,
            row.csat,
            row.low,
        ]
        for row in rows
    ]
    footer = [_("Total"), totals.offered, totals.answered, totals.response_rate]
    footer += [totals.average, totals.csat, totals.low]
    table = Table(
        name=_stem("csat", period, group_by),
        title=_("Satisfaction (CSAT)"),
        headers=[
            str(CSAT_GROUP_BY[group_by]),
            _("Surveys offered"),
            _("Surveys answered"),
            _("Response rate %"),
            _("Average score"),
            _("CSAT % (4–5)"),
            _("Low scores"),
        ],
        rows=body,
        numeric=set(range(1, 7)),
        footer=footer,
    )
    shown = [row for row in rows if row.csat is not None]
    chart = _chart(
        "bar",
        [group_label(row.group, group_by) for row in shown],
        [{"label": _("CSAT % (4–5)"), "data": [row.csat for row in shown]}],
        max=100,
    )
    return table, chart
