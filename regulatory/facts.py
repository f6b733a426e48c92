"""The regulator's facts of a case, kept on its coding row (`CaseCoding`): what the periodic
statistics (`reports.regulatory`) count, so that the report reads one narrow table.

- `received_at` and `referral` (received through the regulator) are the case's at intake
  (`services.coding_open` writes them with the codes);
- `handled_at`, `outcome` (the root cause), `late` (a regulatory clock of the case breached) and
  `extended` (one was extended) are the case's when it is resolved; a reopen clears them with the
  case's resolution, and the next resolution writes them again. No clock of a resolved case runs,
  so they do not change between;
- `counted` is false once the case is merged into another (the same complaint, counted there).

`FACTS_OF` derives them from the cases and their regulatory clocks; `refresh` rewrites the rows'
facts from it in one set-based statement: for one case (the services call it when the case is
resolved, reopened or merged), or for all (the migration that added them); `bench/seed.py`
inserts the coding rows with `FACTS_OF` joined. `ensure_rows` gives every case that has no coding
row one without codes, so that no complaint is missing from the count.
"""

from __future__ import annotations

from django.db import connection as default_connection

from cases.choices import Channel
from sla.choices import Metric

# The facts of cases, one row each (`case_id` and the fact columns): portable SQL (PostgreSQL,
# SQLite), booleans as comparisons, no bool_or. `{cases_of}` / `{clocks_of}` narrow it to one case.
FACTS_OF = """
SELECT c.id AS case_id,
       c.received_at,
       c.resolved_at AS handled_at,
       CASE WHEN c.resolved_at IS NULL THEN '' ELSE c.root_cause END AS outcome,
       (c.channel = %(referral)s) AS referral,
       (c.merged_into_id IS NULL) AS counted,
       (c.resolved_at IS NOT NULL AND COALESCE(k.late, 0) = 1) AS late,
       (c.resolved_at IS NOT NULL AND COALESCE(k.extended, 0) = 1) AS extended
  FROM cases_case c
  LEFT JOIN (
      SELECT s.case_id,
             MAX(CASE WHEN s.breached_at IS NOT NULL THEN 1 ELSE 0 END) AS late,
             MAX(CASE WHEN s.extension_level > 0 THEN 1 ELSE 0 END) AS extended
        FROM cases_slaclock s
       WHERE s.metric = %(metric)s {clocks_of}
       GROUP BY s.case_id
  ) k ON k.case_id = c.id
 WHERE true {cases_of}
"""
FACT_COLUMNS = ("received_at", "handled_at", "outcome", "referral", "counted", "late", "extended")

_ENSURE_ROWS = """
INSERT INTO regulatory_casecoding (case_id, source, reason, province, city, received_at,
  outcome, late, extended, referral, counted)
SELECT c.id, 'default', '', '', '', c.received_at, '', %(no)s, %(no)s, %(no)s, %(no)s
  FROM cases_case c
 WHERE NOT EXISTS (SELECT 1 FROM regulatory_casecoding x WHERE x.case_id = c.id)
"""


def params() -> dict:
    """The parameters `FACTS_OF` takes (besides `case`, when narrowed to one)."""
    return {"referral": Channel.REGULATOR.value, "metric": Metric.REGULATORY_DECISION.value}


def facts_of(*, one_case: bool = False) -> str:
    """`FACTS_OF` for every case, or for the case `%(case)s`."""
    if not one_case:
        return FACTS_OF.format(clocks_of="", cases_of="")
    return FACTS_OF.format(clocks_of="AND s.case_id = %(case)s", cases_of="AND c.id = %(case)s")


def refresh(*, case_id: int | None = None, cursor=None) -> int:
    """Rewrite the facts of one case's coding row (`case_id`), or of every row; returns the rows
    written. `cursor`: a DB-API cursor of another connection (the seed's), else Django's."""
    values = params()
    if case_id is not None:
        values["case"] = case_id
    sql = (  # UPDATE … FROM: PostgreSQL, SQLite ≥ 3.33; constants only, values bound
        "UPDATE regulatory_casecoding SET "  # noqa: S608
        + ", ".join(f"{column} = f.{column}" for column in FACT_COLUMNS)
        + f" FROM ({facts_of(one_case=case_id is not None)}) f"
        + " WHERE f.case_id = regulatory_casecoding.case_id"
    )
    if cursor is not None:
        cursor.execute(sql, values)
        return cursor.rowcount
    with default_connection.cursor() as own:
        own.execute(sql, values)
        return own.rowcount


def ensure_rows(*, cursor) -> int:
    """A coding row without codes for every case that has none (coded later, or by a supervisor)."""
    cursor.execute(_ENSURE_ROWS, {"no": False})
    return cursor.rowcount
