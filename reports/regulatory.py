"""The regulator's periodic complaint statistics (JR/T 0169-2018), monthly or quarterly.

One SQL statement over the cases, their regulatory coding (`regulatory.CaseCoding`: the three
codes, and the province and city the customer's phone was registered in, kept at intake) and
their regulatory clocks; `GROUPING SETS` gives every breakdown in that one scan. A case merged
into another is the same complaint: it is not counted. The measures (docs/regulatory-report.md):

- `received`: cases received in the period;
- `handled`: cases resolved in the period (a case is closed only once resolved);
- `handled_in_time`: of those, the ones none of whose regulatory clocks breached;
- `extended`: of those handled, the ones whose regulatory deadline was extended;
- `open_at_end`: cases received before the period ended and not handled by then.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.db.replica import read_connection
from backoffice.errors import Invalid
from cases.choices import OPEN_STATUSES, RootCause
from privacy.services import export_log, logged_params
from regulatory.models import Code
from reports import export
from sla.choices import Metric

MEASURES = ("received", "handled", "handled_in_time", "extended", "open_at_end")
# The fixed column layout of the API's rows and of the CSV/XLSX files (docs/regulatory-report.md).
COLUMNS = ("dimension", "key", "label", *MEASURES)
DIMENSIONS = {
    "total": gettext_lazy("All complaints"),
    "a1": gettext_lazy("A · channel (level 1)"),
    "a": gettext_lazy("A · channel"),
    "b1": gettext_lazy("B · business type (level 1)"),
    "b": gettext_lazy("B · business type"),
    "c1": gettext_lazy("C · cause (level 1)"),
    "c": gettext_lazy("C · cause"),
    "province": gettext_lazy("Province"),
    "city": gettext_lazy("City"),
    "referral": gettext_lazy("Regulator referrals"),
    "referral_outcome": gettext_lazy("Regulator referrals by outcome"),
}
# The grouped columns of each dimension, in the order of the GROUPING() mask below.
_GROUPED = ("a1", "a", "b1", "b", "c1", "c", "province", "city", "referral", "outcome")
_SETS = {
    "total": (),
    "a1": ("a1",),
    "a": ("a",),
    "b1": ("b1",),
    "b": ("b",),
    "c1": ("c1",),
    "c": ("c",),
    "province": ("province",),
    "city": ("province", "city"),
    "referral": ("referral",),
    "referral_outcome": ("referral", "outcome"),
}
OPEN_OUTCOME = "open"

_PERIOD = re.compile(r"^(\d{4})-(?:(0[1-9]|1[0-2])|Q([1-4]))$")


@dataclass(frozen=True)
class RegulatoryPeriod:
    """A calendar month (`2026-10`) or quarter (`2026-Q4`), local time."""

    label: str
    start: date
    end: date  # the first day after the period

    @property
    def kind(self) -> str:
        return "quarter" if "Q" in self.label else "month"

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        tz = ZoneInfo(settings.TIME_ZONE)
        return datetime.combine(self.start, time.min, tz), datetime.combine(self.end, time.min, tz)


def _month_start(year: int, month: int) -> date:
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def parse_period(raw: str | None, *, today: date) -> RegulatoryPeriod:
    """`period=YYYY-MM` or `YYYY-Qn`; left out: the current month. Invalid names the field."""
    if raw is None:
        raw = f"{today.year:04d}-{today.month:02d}"
    match = _PERIOD.match(str(raw).strip())
    if not match or not 2000 <= int(match.group(1)) <= 2099:
        raise Invalid(
            {"period": [_("A month (2026-10) or a quarter (2026-Q4), years 2000 to 2099.")]}
        )
    year = int(match.group(1))
    if match.group(2):
        month = int(match.group(2))
        start, end = date(year, month, 1), _month_start(year, month + 1)
    else:
        first = (int(match.group(3)) - 1) * 3 + 1
        start, end = date(year, first, 1), _month_start(year, first + 3)
    return RegulatoryPeriod(label=match.group(0), start=start, end=end)


@dataclass(frozen=True)
class Row:
    dimension: str
    key: str
    label: str
    received: int
    handled: int
    handled_in_time: int
    extended: int
    open_at_end: int

    def values(self) -> list:
        return [getattr(self, column) for column in COLUMNS]


# The cases the report counts, each found through an index: received in the period
# (`case_received`); received before it and resolved since its start (`case_resolved_root_cause`:
# a resolved case has a root cause); received before it and open now (`case_open_received`). A case is
# closed only once resolved (it keeps `resolved_at`), so `resolved_at` is when it was handled.
_SQL_TEMPLATE = """
WITH picked AS (
    SELECT c.id, c.received_at, c.resolved_at, c.channel, c.root_cause
      FROM cases_case c
     WHERE c.received_at >= %(start)s AND c.received_at < %(end)s AND c.merged_into_id IS NULL
    UNION ALL
    SELECT c.id, c.received_at, c.resolved_at, c.channel, c.root_cause
      FROM cases_case c
     WHERE c.received_at < %(start)s AND c.resolved_at >= %(start)s AND c.root_cause <> ''
       AND c.merged_into_id IS NULL
    UNION ALL
    SELECT c.id, c.received_at, c.resolved_at, c.channel, c.root_cause
      FROM cases_case c
     WHERE c.received_at < %(start)s AND c.resolved_at IS NULL AND c.status IN ({open_statuses})
       AND c.merged_into_id IS NULL
), base AS (
    SELECT p.received_at,
           p.resolved_at AS handled_at,
           LEFT(ca.code, 3) AS a1, ca.code AS a,
           LEFT(cb.code, 3) AS b1, cb.code AS b,
           LEFT(cc.code, 3) AS c1, cc.code AS c,
           COALESCE(cod.province, '') AS province, COALESCE(cod.city, '') AS city,
           p.channel = 'regulator' AS referral,
           CASE WHEN p.resolved_at IS NULL THEN %(open)s ELSE p.root_cause END AS outcome,
           COALESCE(reg.late, false) AS late,
           COALESCE(reg.extended, false) AS extended
      FROM picked p
      LEFT JOIN regulatory_casecoding cod ON cod.case_id = p.id
      LEFT JOIN regulatory_code ca ON ca.id = cod.a_id
      LEFT JOIN regulatory_code cb ON cb.id = cod.b_id
      LEFT JOIN regulatory_code cc ON cc.id = cod.c_id
      -- the regulatory clocks of the cases handled in the period only
      LEFT JOIN LATERAL (
          SELECT bool_or(s.breached_at IS NOT NULL) AS late,
                 bool_or(s.extension_level > 0) AS extended
            FROM cases_slaclock s
           WHERE s.case_id = p.id AND s.metric = %(metric)s
             AND p.resolved_at >= %(start)s AND p.resolved_at < %(end)s
      ) reg ON true
)
SELECT GROUPING(a1, a, b1, b, c1, c, province, city, referral, outcome) AS mask,
       a1, a, b1, b, c1, c, province, city, referral, outcome,
       count(*) FILTER (WHERE received_at >= %(start)s) AS received,
       count(*) FILTER (WHERE handled_at >= %(start)s AND handled_at < %(end)s) AS handled,
       count(*) FILTER (WHERE handled_at >= %(start)s AND handled_at < %(end)s AND NOT late)
           AS handled_in_time,
       count(*) FILTER (WHERE handled_at >= %(start)s AND handled_at < %(end)s AND extended)
           AS extended,
       count(*) FILTER (WHERE handled_at IS NULL OR handled_at >= %(end)s) AS open_at_end
  FROM base
 GROUP BY GROUPING SETS ((), (a1), (a), (b1), (b), (c1), (c), (province), (province, city),
                         (referral), (referral, outcome))
"""
# The open statuses are constants of the code, written into the statement so that the planner
# matches the partial index of open cases (a bound parameter would not).
_SQL = _SQL_TEMPLATE.replace(
    "{open_statuses}", ", ".join(f"'{status}'" for status in sorted(OPEN_STATUSES))
)


def _mask(columns: tuple[str, ...]) -> int:
    """GROUPING()'s answer for a set: a 1 bit for each column not grouped, first column highest."""
    width = len(_GROUPED)
    return sum(1 << (width - 1 - i) for i, name in enumerate(_GROUPED) if name not in columns)


_DIMENSION_OF_MASK = {_mask(columns): name for name, columns in _SETS.items()}


def _code_names() -> dict[str, str]:
    """Code → name, the active set's names over older ones'."""
    ordered = Code.objects.order_by("code_set__active", "code_set_id")
    return dict(ordered.values_list("code", "name"))  # later rows win


def _unknown() -> str:
    return _("Unknown")


def _key_and_label(dimension: str, record: dict, names: dict[str, str]) -> tuple[str, str] | None:
    if dimension == "total":
        return "", str(DIMENSIONS["total"])
    if dimension in ("a1", "a", "b1", "b", "c1", "c"):
        code = record[dimension] or ""
        return code, names.get(code, _("Not coded")) if code else _("Not coded")
    if dimension == "province":
        return record["province"], record["province"] or _unknown()
    if dimension == "city":
        key = f"{record['province']}/{record['city']}" if record["province"] else ""
        return key, record["city"] or record["province"] or _unknown()
    if not record["referral"]:
        return None  # the other half of the referral split: not a row of the report
    if dimension == "referral":
        return "regulator", str(DIMENSIONS["referral"])
    outcome = record["outcome"] or ""
    if outcome == OPEN_OUTCOME:
        return outcome, _("Not handled yet")
    return outcome, str(dict(RootCause.choices).get(outcome, outcome or _unknown()))


def regulatory_report(period: RegulatoryPeriod) -> list[Row]:
    """Every row of the report, dimension by dimension (in `DIMENSIONS` order), then by key."""
    start, end = period.bounds
    with read_connection().cursor() as cursor:
        cursor.execute(
            _SQL,
            {
                "start": start,
                "end": end,
                "metric": Metric.REGULATORY_DECISION,
                "open": OPEN_OUTCOME,
            },
        )
        columns = [c.name for c in cursor.description]
        records = [dict(zip(columns, values, strict=True)) for values in cursor.fetchall()]
    names = _code_names()
    rows = []
    for record in records:
        dimension = _DIMENSION_OF_MASK[record["mask"]]
        found = _key_and_label(dimension, record, names)
        if found is None:
            continue
        key, label = found
        rows.append(Row(dimension, key, label, *(record[m] for m in MEASURES)))
    if not any(row.dimension == "total" for row in rows):
        rows.append(Row("total", "", str(DIMENSIONS["total"]), 0, 0, 0, 0, 0))
    order = list(DIMENSIONS)
    rows.sort(key=lambda r: (order.index(r.dimension), r.key))
    return rows


def download(period: RegulatoryPeriod, rows: list[Row], fmt: str, *, actor, what: str, query):
    """The fixed layout as a file: `COLUMNS` as the header row, whatever the reader's language.
    Logged as every export is (privacy); the report holds counts only."""
    name = f"regulatory-{period.label}"
    values = [row.values() for row in rows]
    export_log(
        actor=actor,
        what=what,
        params=logged_params(query),
        row_count=len(values),
        full=False,
        format=fmt,
    )
    if fmt == "xlsx":
        return export.xlsx_response(name, name, COLUMNS, values)
    return export.csv_response(name, COLUMNS, values)
