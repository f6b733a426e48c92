"""Reads for the top bar's search: every case the user may see that the term names exactly
(reference, phone in any format, order id, customer id) or whose words contain it (subject,
description, messages, customer name).

A fixed number of statements whatever the term: the customers and the orders it names (two
index lookups, `selectors.search_condition`), the exact matches, the customers whose name holds
the words, one statement for the cases with the words, and the rows with what a list row shows
(three statements, `selectors.with_list_related`).

The words are one `UNION` of three branches (the case's texts, its messages, its customer's name),
each ordered by creation and limited to the page, so PostgreSQL plans each on its own: a common
word (退款 is in a seventh of the subjects) walks the `(created_at, id)` index newest first and
stops at the page's end; a rare one reads its few rows from the trigram index (migration 0021).
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from cases.models import Case, Customer, Message
from cases.search import SearchText, searchable
from casework.selectors import cases_visible_to, search_condition, with_list_related

PAGE_SIZE = 25
EXACT_LIMIT = 50
MAX_TERM_LENGTH = 100
NAMES_LISTED = 1000


@dataclass
class SearchResults:
    term: str
    exact: list[Case] = field(default_factory=list)
    words: list[Case] = field(default_factory=list)
    # the last row's (created_at, id): where the next page of word matches starts
    next_after: tuple[datetime, int] | None = None
    words_searched: bool = False

    @property
    def reference_hit(self) -> Case | None:
        """The case whose reference the term is, if it is one the user may see."""
        ref = self.term.strip().upper()
        return next((c for c in self.exact if c.reference == ref), None)


def _newest_first(cases: QuerySet[Case], after: tuple[datetime, int] | None) -> QuerySet:
    if after is not None:
        value, pk = after
        cases = cases.filter(Q(created_at__lt=value) | Q(created_at=value, pk__lt=pk))
    return cases.order_by("-created_at", "-id")


def _named(term: str) -> Q | None:
    """Cases of the customers whose name contains the term: their ids first (one statement on the
    name's trigram index), so the cases come by the customer index; a name more than
    `NAMES_LISTED` customers share stays a subquery, which PostgreSQL answers by walking the
    newest cases (it soon meets enough of them). As one subquery always, a two-character name
    (王伟, one customer in 500) was a walk through 11,000 cases: 90–260 ms at 1,000,000."""
    names = Customer.objects.alias(text=SearchText("name")).filter(text__finds=term)
    ids = list(names.values_list("pk", flat=True)[: NAMES_LISTED + 1])
    if not ids:
        return None
    if len(ids) > NAMES_LISTED:
        return Q(customer_id__in=names.values("pk"))
    return Q(customer_id__in=ids)


def word_matches(user, term: str, *, after=None, limit: int = PAGE_SIZE) -> list[tuple]:
    """(id, created_at) of the visible cases whose texts, messages or customer's name contain
    the term, newest first, at most `limit`: one statement."""
    visible = cases_visible_to(user)
    in_texts = Q(text__finds=term)
    in_messages = Exists(
        Message.objects.alias(text=SearchText("body")).filter(
            case_id=OuterRef("pk"), text__finds=term
        )
    )
    named = _named(term)
    visible = visible.alias(text=SearchText("subject", "description"))
    if not connection.features.supports_slicing_ordering_in_compound:  # SQLite: one OR
        condition = in_texts | in_messages | (named if named is not None else Q(pk__in=[]))
        cases = _newest_first(visible.filter(condition), after)
        return list(cases.values_list("id", "created_at")[:limit])
    branches = [
        _newest_first(visible.filter(condition), after).values_list("id", "created_at")[:limit]
        for condition in (in_texts, in_messages, named)
        if condition is not None
    ]
    union = branches[0].union(*branches[1:])
    return list(union.order_by("-created_at", "-id")[:limit])


def search_cases(user, term: str, *, after=None, page_size: int = PAGE_SIZE) -> SearchResults:
    """The search page: exact matches (first page only), then the word matches, newest first."""
    term = term.strip()
    results = SearchResults(term=term)
    if not term:
        return results
    exact_ids: list[int] = []
    if after is None:
        exact_ids = list(
            cases_visible_to(user)
            .filter(search_condition(term))
            .order_by("-created_at", "-id")
            .values_list("id", flat=True)[:EXACT_LIMIT]
        )
    rows: list[tuple] = []
    if searchable(term):
        results.words_searched = True
        rows = word_matches(user, term, after=after, limit=page_size + 1)
        if len(rows) > page_size:
            rows = rows[:page_size]
            results.next_after = (rows[-1][1], rows[-1][0])
    word_ids = [pk for pk, _created in rows if pk not in set(exact_ids)]
    loaded = (
        {
            case.pk: case
            for case in with_list_related(Case.objects.filter(pk__in=[*exact_ids, *word_ids]))
        }
        if exact_ids or word_ids
        else {}
    )
    results.exact = [loaded[pk] for pk in exact_ids if pk in loaded]
    results.words = [loaded[pk] for pk in word_ids if pk in loaded]
    return results
