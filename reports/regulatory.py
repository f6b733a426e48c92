"""The regulator's periodic complaint statistics (JR/T 0169-2018), monthly or quarterly.

One SQL statement over the cases' regulatory coding rows (`regulatory.CaseCoding`: the three
codes, the province and city the customer's phone was registered in, kept at intake, and the
case's regulatory facts, `regulatory.facts`); `GROUPING SETS` gives every breakdown in that one
scan. A case merged
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
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.db.replica import read_connection
from backoffice.errors import Invalid
from cases.choices import RootCause
from privacy.services import export_log, logged_params
from regulatory.models import Code
from reports import export

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
WORK_MEM = "32MB"  # for the one statement (SET LOCAL)

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


# The cases the report counts, each through an index of their coding rows, where the case's
# regulatory facts are kept (`regulatory.facts`; a merged case is not counted): received in the
# period (`coding_received`); received before it and handled since its start (`coding_handled`);
# received before it and not handled (`coding_open`). `fine` counts them once by the finest grain
# (the three code ids, province and city, referral and outcome: a few thousand groups);
# `GROUPING SETS` then sums those groups, with the codes' text joined to them, not to the cases.
_SQL = """
WITH picked AS (
    SELECT f.a_id, f.b_id, f.c_id, f.province, f.city, f.referral, f.outcome, f.received_at,
           f.handled_at, f.late, f.extended
      FROM regulatory_casecoding f
     WHERE f.counted AND f.received_at >= %(start)s AND f.received_at < %(end)s
    UNION ALL
    SELECT f.a_id, f.b_id, f.c_id, f.province, f.city, f.referral, f.outcome, f.received_at,
           f.handled_at, f.late, f.extended
      FROM regulatory_casecoding f
     WHERE f.counted AND f.handled_at >= %(start)s AND f.received_at < %(start)s
    UNION ALL
    SELECT f.a_id, f.b_id, f.c_id, f.province, f.city, f.referral, f.outcome, f.received_at,
           f.handled_at, f.late, f.extended
      FROM regulatory_casecoding f
     WHERE f.counted AND f.handled_at IS NULL AND f.received_at < %(start)s
), fine AS (
    SELECT a_id, b_id, c_id, province, city, referral,
           CASE WHEN handled_at IS NULL THEN %(open)s ELSE outcome END AS outcome,
           count(*) FILTER (WHERE received_at >= %(start)s) AS received,
           count(*) FILTER (WHERE handled_at >= %(start)s AND handled_at < %(end)s) AS handled,
           count(*) FILTER (WHERE handled_at >= %(start)s AND handled_at < %(end)s AND NOT late)
               AS handled_in_time,
           count(*) FILTER (WHERE handled_at >= %(start)s AND handled_at < %(end)s AND extended)
               AS extended,
           count(*) FILTER (WHERE handled_at IS NULL OR handled_at >= %(end)s) AS open_at_end
      FROM picked
     GROUP BY 1, 2, 3, 4, 5, 6, 7
), base AS (
    SELECT LEFT(ca.code, 3) AS a1, ca.code AS a,
           LEFT(cb.code, 3) AS b1, cb.code AS b,
           LEFT(cc.code, 3) AS c1, cc.code AS c,
           fine.province, fine.city, fine.referral, fine.outcome,
           fine.received, fine.handled, fine.handled_in_time, fine.extended, fine.open_at_end
      FROM fine
      LEFT JOIN regulatory_code ca ON ca.id = fine.a_id
      LEFT JOIN regulatory_code cb ON cb.id = fine.b_id
      LEFT JOIN regulatory_code cc ON cc.id = fine.c_id
)
SELECT GROUPING(a1, a, b1, b, c1, c, province, city, referral, outcome) AS mask,
       a1, a, b1, b, c1, c, province, city, referral, outcome,
       COALESCE(sum(received), 0)::bigint AS received,
       COALESCE(sum(handled), 0)::bigint AS handled,
       COALESCE(sum(handled_in_time), 0)::bigint AS handled_in_time,
       COALESCE(sum(extended), 0)::bigint AS extended,
       COALESCE(sum(open_at_end), 0)::bigint AS open_at_end
  FROM base
 GROUP BY GROUPING SETS ((), (a1), (a), (b1), (b), (c1), (c), (province), (province, city),
                         (referral), (referral, outcome))
"""


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
    connection = read_connection()  # the replica's inside `on_replica`
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        # The finest grain is a few thousand groups, but the planner cannot see it through the
        # three picks and expects one per hundred rows: with the default 4 MB it sorts them on
        # disk instead of hashing them in memory (1.4 s against 1.0 s at 1,000,000 cases).
        cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        cursor.execute(
            _SQL,
            {
                "start": start,
                "end": end,
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
