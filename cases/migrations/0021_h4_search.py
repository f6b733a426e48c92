"""The top bar's search over words (issue 24): trigram indexes (pg_trgm) on the texts a user
searches, PostgreSQL only; on SQLite (the embedded demo) this migration does nothing and the
search falls back to `LIKE`.

Chinese text has no spaces, so to pg_trgm a whole sentence is one "word" and a one- or
two-character query (退款, 王伟) yields no trigram a `LIKE` can use. `cases_search_text` therefore
puts a space either side of every CJK character before the text is indexed: each character is a
word of its own and has its own trigrams (`"  退"`, `" 退 "`), so a query of any length finds its
characters through the index; the `ILIKE` recheck keeps them adjacent. Latin words stay whole
(three letters or more use the index). The query side (`cases.search`) spaces the term with the
same expression, so the indexed expression and the query's are the same.
"""

from django.db import migrations

from backoffice.migration_ops import PostgreSQLOnly

# The CJK unified ideographs (extension A, the basic block) and the compatibility ideographs.
# cases/search.py holds the same ranges for the query's term (a test compares both).
CJK = "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"""CREATE OR REPLACE FUNCTION cases_search_text(a text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS $$ SELECT regexp_replace(a, '({CJK})', ' \\1 ', 'g') $$""",
    f"""CREATE OR REPLACE FUNCTION cases_search_text(a text, b text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS $$ SELECT regexp_replace(a || ' ' || b, '({CJK})', ' \\1 ', 'g') $$""",
    """CREATE INDEX IF NOT EXISTS case_search_text ON cases_case
        USING gin (cases_search_text(subject, description) gin_trgm_ops)""",
    """CREATE INDEX IF NOT EXISTS message_search_text ON cases_message
        USING gin (cases_search_text(body) gin_trgm_ops)""",
    """CREATE INDEX IF NOT EXISTS customer_name_search_text ON cases_customer
        USING gin (cases_search_text(name) gin_trgm_ops)""",
]

BACKWARD = [
    "DROP INDEX IF EXISTS customer_name_search_text",
    "DROP INDEX IF EXISTS message_search_text",
    "DROP INDEX IF EXISTS case_search_text",
    "DROP FUNCTION IF EXISTS cases_search_text(text, text)",
    "DROP FUNCTION IF EXISTS cases_search_text(text)",
]


class Migration(migrations.Migration):
    dependencies = [("cases", "0020_models_leave_for_sla_risk_notifications")]

    operations = [PostgreSQLOnly(sql=FORWARD, reverse_sql=BACKWARD)]
