"""Word search in case texts: the indexed expressions of migrations 0021 and 0023 and the
`finds` lookup.

On PostgreSQL a term holding two adjacent CJK characters or more is found by its character pairs:
`cases_search_grams(subject, description) @@ '申请' & '请退' & '退款'`, which the GIN index of
0023 answers exactly (no recheck), and a plain `ILIKE '%申请退款%'` on the raw text that keeps the
pairs adjacent. Any other term (Latin words, digits, a single CJK character) is `ILIKE '%…%'`
against `cases_search_text(...)`, the expression 0021's trigram (pg_trgm) indexes hold, the term
spaced the same way. On SQLite (the embedded demo, no pg_trgm) the same filter is a plain
case-insensitive `LIKE` on the texts.
"""

import re

from django.db.models import Func, Lookup, TextField
from psycopg import sql as pgsql

# The same ranges as cases/migrations/0021_h4_search.py (tests/casework/test_search.py compares).
CJK = re.compile("([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])")
# Shorter Latin terms have no trigram an index could use; any CJK character has its own.
MIN_WORD_LENGTH = 3


CJK_RUN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")


def bigrams(text: str) -> list[str]:
    """`cases_search_grams` in Python: the pairs of adjacent CJK characters, each once, sorted."""
    pairs = {run[i : i + 2] for run in CJK_RUN.findall(text) for i in range(len(run) - 1)}
    return sorted(pairs)


def spaced(text: str) -> str:
    """`cases_search_text` in Python: a space either side of every CJK character."""
    return CJK.sub(r" \1 ", text)


def searchable(term: str) -> bool:
    """Whether a term is long enough for the word search to use the index."""
    return len(term) >= MIN_WORD_LENGTH or bool(CJK.search(term))


def literal(connection, text: str) -> str:
    """`text` as a PostgreSQL string literal inside a statement the driver formats (`%` doubled)."""
    connection.ensure_connection()
    return pgsql.Literal(text).as_string(connection.connection).replace("%", "%%")


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class SearchTextField(TextField):
    pass


class SearchText(Func):
    """The searchable text of one or two columns (joined by a space)."""

    function = "cases_search_text"
    output_field = SearchTextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="(%(expressions)s)", arg_joiner=" || ' ' || "
        )


@SearchTextField.register_lookup
class Finds(Lookup):
    """`SearchText(...)__finds=term`: the text contains the term, ignoring case."""

    lookup_name = "finds"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        _rhs, rhs_params = self.process_rhs(compiler, connection)
        term = like_escape(str(rhs_params[0]))
        raw, raw_params = self.lhs.as_sql(
            compiler, connection, template="(%(expressions)s)", arg_joiner=" || ' ' || "
        )
        if connection.vendor != "postgresql":
            return f"{raw} LIKE %s ESCAPE '\\'", [*raw_params, f"%{term}%"]
        # The term goes into the statement as literals, not parameters: its plan depends on the
        # term (a common word walks the newest cases, a rare one reads the index), and a
        # statement run five times on a connection is prepared (settings:
        # `DB_PREPARED_STATEMENTS`), after which PostgreSQL may keep one generic plan for every
        # term: the references' word statement then walked the cases with the regexp on each,
        # 12.6 s a search at 1,000,000 cases (2026-12-07). As literals each term has its plan.
        contains = literal(connection, f"%{term}%")
        pairs = bigrams(str(rhs_params[0]))
        if pairs:
            # The pairs' index (0023) returns exactly the rows holding every pair; the `ILIKE`
            # then reads only those. Where PostgreSQL walks another index instead (a common word,
            # newest first), the cheap `ILIKE` runs first and the pairs only on the rows it
            # keeps. The `CASE` keeps the planner's estimate that of the indexed condition.
            grams, grams_params = self.lhs.as_sql(
                compiler, connection, function="cases_search_grams"
            )
            query = literal(connection, " & ".join(f"'{pair}'" for pair in pairs))
            return (
                f"(CASE WHEN {raw} ILIKE {contains} THEN TRUE ELSE FALSE END"
                f" AND {grams} @@ {query}::tsquery)",
                [*raw_params, *grams_params],
            )
        # The plain text first: where PostgreSQL reads rows in another index's order (a common
        # word, newest first) it tests each row, and the plain `ILIKE` costs a fraction of the
        # spacing regexp, which then runs only on the rows that contain the term. The spaced
        # condition is the one the trigram index answers; both say the same.
        spaced_term = literal(connection, f"%{spaced(term)}%")
        return (
            f"(CASE WHEN {raw} ILIKE {contains} THEN TRUE ELSE FALSE END"
            f" AND {lhs} ILIKE {spaced_term})",
            [*raw_params, *lhs_params],
        )


@SearchTextField.register_lookup
class Holds(Lookup):
    """`SearchText(...)__holds=term`: the raw text contains the term, ignoring case, with no index
    (for a term so common that walking the newest rows finds a page soonest)."""

    lookup_name = "holds"

    def as_sql(self, compiler, connection):
        _rhs, rhs_params = self.process_rhs(compiler, connection)
        term = like_escape(str(rhs_params[0]))
        raw, raw_params = self.lhs.as_sql(
            compiler, connection, template="(%(expressions)s)", arg_joiner=" || ' ' || "
        )
        if connection.vendor != "postgresql":
            return f"{raw} LIKE %s ESCAPE '\\'", [*raw_params, f"%{term}%"]
        return f"{raw} ILIKE {literal(connection, f'%{term}%')}", raw_params
