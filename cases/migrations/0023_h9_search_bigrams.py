"""Chinese words found by their character pairs (issue 24, the top bar's search at 1,000,000 cases).

Migration 0021's trigram indexes space every CJK character, so a Chinese term's trigrams are those
of its single characters: common ones (发, 票) each in a large share of the rows, whose bitmaps the
index intersects before every candidate row is rechecked through the spacing regexp (发票: 80–90
ms at 1,000,000 cases, most of it the recheck). `cases_search_grams(text)` is instead the text's
CJK character pairs (bigrams, `申请退款` → 申请 请退 退款) as a `tsvector`; a GIN index on it returns
the rows holding all of a term's pairs, exactly (a plain `&` query needs no recheck), and a plain
`ILIKE` on the raw text keeps the pairs adjacent and in order. Terms with fewer than two adjacent
CJK characters (Latin words, digits, one character) keep the trigram indexes of 0021.

PostgreSQL only, like 0021: on SQLite (the embedded demo) this does nothing and the search stays a
`LIKE`. The indexes are built without `CONCURRENTLY` (a write lock while they build; see
docs/benchmarks.md for the time at 1,000,000 cases).
"""

from django.db import migrations

from backoffice.migration_ops import PostgreSQLOnly

# The same ranges as 0021 and cases/search.py (a test compares the function with `bigrams`).
RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK = f"[{RANGES}]"
NOT_CJK = f"[^{RANGES}]"

# Keep only the CJK runs, double every character, drop each run's first and last copy, then cut
# the rest into pairs: 申请退款 → 申申请请退退款款 → 申请请退退款 → 申请 请退 退款 (a run of one
# character leaves nothing). Four regexp passes, no per-character loop.
GRAMS = f"""array_to_tsvector(array_remove(string_to_array(
    regexp_replace(regexp_replace(regexp_replace(regexp_replace(' ' || a || ' ',
        '{NOT_CJK}+', ' ', 'g'),
        '({CJK})', '\\1\\1', 'g'),
        ' {CJK}({CJK}*){CJK}(?= )', ' \\1', 'g'),
        '({CJK}{{2}})', '\\1 ', 'g'),
    ' '), ''))"""

FORWARD = [
    f"""CREATE OR REPLACE FUNCTION cases_search_grams(a text) RETURNS tsvector
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS $$ SELECT {GRAMS} $$""",
    """CREATE OR REPLACE FUNCTION cases_search_grams(a text, b text) RETURNS tsvector
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS $$ SELECT cases_search_grams(a || ' ' || b) $$""",
    """CREATE INDEX IF NOT EXISTS case_search_grams ON cases_case
        USING gin (cases_search_grams(subject, description))""",
    """CREATE INDEX IF NOT EXISTS message_search_grams ON cases_message
        USING gin (cases_search_grams(body))""",
    """CREATE INDEX IF NOT EXISTS customer_name_search_grams ON cases_customer
        USING gin (cases_search_grams(name))""",
    "ANALYZE cases_case, cases_message, cases_customer",
]

BACKWARD = [
    "DROP INDEX IF EXISTS customer_name_search_grams",
    "DROP INDEX IF EXISTS message_search_grams",
    "DROP INDEX IF EXISTS case_search_grams",
    "DROP FUNCTION IF EXISTS cases_search_grams(text, text)",
    "DROP FUNCTION IF EXISTS cases_search_grams(text)",
]


class Migration(migrations.Migration):
    dependencies = [("cases", "0022_merge_issue24")]

    operations = [PostgreSQLOnly(sql=FORWARD, reverse_sql=BACKWARD)]
