"""Word search in case texts: the indexed expression of migration 0021 and its `finds` lookup.

On PostgreSQL `SearchText("subject", "description")` is `cases_search_text(subject, description)`,
the expression the trigram (pg_trgm) indexes hold, and `finds` is `ILIKE '%…%'` against it, the
term spaced the same way (every CJK character a word of its own, see the migration). On SQLite
(the embedded demo, no pg_trgm) the same filter is a plain case-insensitive `LIKE` on the texts.
"""

import re

from django.db.models import Func, Lookup, TextField

# The same ranges as cases/migrations/0021_h4_search.py (tests/casework/test_search.py compares).
CJK = re.compile("([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])")
# Shorter Latin terms have no trigram an index could use; any CJK character has its own.
MIN_WORD_LENGTH = 3


def spaced(text: str) -> str:
    """`cases_search_text` in Python: a space either side of every CJK character."""
    return CJK.sub(r" \1 ", text)


def searchable(term: str) -> bool:
    """Whether a term is long enough for the word search to use the index."""
    return len(term) >= MIN_WORD_LENGTH or bool(CJK.search(term))


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
        # The plain text first: where PostgreSQL reads rows in another index's order (a common
        # word, newest first) it tests each row, and the plain `ILIKE` costs a fraction of the
        # spacing regexp, which then runs only on the rows that contain the term. The spaced
        # condition is the one the trigram index answers; both say the same.
        return f"(CASE WHEN {raw} ILIKE %s THEN TRUE ELSE FALSE END AND {lhs} ILIKE %s)", [
            *raw_params,
            f"%{term}%",
            *lhs_params,
            f"%{spaced(term)}%",
        ]
