"""Reads for the top bar's search: every case the user may see that the term names exactly
(reference, phone in any format, order id, customer id) or whose words contain it (subject,
description, messages, customer name).

A fixed number of statements for each kind of term: the customers and the orders it names (two
index lookups, `selectors.search_condition`), the exact matches (where the page opens a
reference, the search ends there), the customers whose name holds the words, for a rare Chinese
term the ids its pairs' index gives (`_listed`), one statement for the cases with the words, and
the rows with what a list row shows (three statements, `selectors.with_list_related`); once every
`STATS_SECONDS` a process also reads the pairs' statistics.

The words are one `UNION` of three branches (the case's texts, its messages, its customer's name),
each ordered by creation and limited to the page. A common word (退款 is in a seventh of the
subjects) walks the `(created_at, id)` index newest first and stops at the page's end; a rare
Chinese one is read by the ids of its rows (migration 0023's pairs' index); a Latin word is left
to PostgreSQL's plan on the trigram index (migration 0021). The term is in the statement as
literals, so each term has its own plan (see `cases.search`).
"""

import time
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet, Value

from cases.models import Case, Customer, Message
from cases.search import SearchText, bigrams, searchable
from casework.selectors import cases_visible_to, search_condition, with_list_related

PAGE_SIZE = 25
EXACT_LIMIT = 50
MAX_TERM_LENGTH = 100
NAMES_LISTED = 1000
WORDS_LISTED = 5000
# a term whose every CJK pair is in this share of the rows or more is found by walking the newest
COMMON_SHARE = 0.01
STATS_SECONDS = 600
_frequencies: dict[str, tuple[float, dict[str, float]]] = {}


@dataclass
class SearchResults:
    term: str
    exact: list[Case] = field(default_factory=list)
    words: list[Case] = field(default_factory=list)
    # the last row's (created_at, id): where the next page of word matches starts
    next_after: tuple[datetime, int] | None = None
    words_searched: bool = False

    # the reference the term is, of a case the user may see (the page opens that case)
    reference_hit: str | None = None


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


def _pair_frequencies(index: str) -> dict[str, float]:
    """The share of rows holding each of the commonest CJK pairs of a pairs' index (0023), from
    PostgreSQL's own statistics (`pg_stats`, refreshed by `ANALYZE`), read at most every
    `STATS_SECONDS` in a process."""
    now = time.monotonic()
    cached = _frequencies.get(index)
    if cached is not None and now - cached[0] < STATS_SECONDS:
        return cached[1]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats"
            " WHERE schemaname = current_schema() AND tablename = %s",
            [index],
        )
        row = cursor.fetchone()
    frequencies = dict(zip(row[0], row[1], strict=False)) if row and row[0] else {}
    _frequencies[index] = (now, frequencies)
    return frequencies


def _common(term: str, index: str) -> bool:
    """Whether every pair of the term is in at least `COMMON_SHARE` of the index's rows: then the
    newest rows, walked, soon fill a page; otherwise the rows holding the term are few enough
    to read by the index (a pair the statistics do not list is rare)."""
    frequencies = _pair_frequencies(index)
    return min(frequencies.get(pair, 0.0) for pair in bigrams(term)) >= COMMON_SHARE


def _listed(term: str, *, texts: bool, messages: bool) -> tuple[list | None, list | None]:
    """For a rare term found by its CJK pairs: the ids of the cases whose texts hold it and of
    those whose messages hold it, one statement on the pairs' indexes, whose bitmaps need no
    recheck; `None` for a list of more than `WORDS_LISTED` (the statistics were wrong: walk)."""
    parts = []
    if texts:
        parts.append(
            Case.objects.alias(text=SearchText("subject", "description"))
            .filter(text__finds=term)
            .annotate(branch=Value(0))
            .order_by()
            .values_list("branch", "pk")[: WORDS_LISTED + 1]
        )
    if messages:
        parts.append(
            Message.objects.alias(text=SearchText("body"))
            .filter(text__finds=term)
            .annotate(branch=Value(1))
            .order_by()
            .values_list("branch", "case_id")[: WORDS_LISTED + 1]
        )
    if not parts:
        return None, None
    found: tuple[list[int], list[int]] = ([], [])
    for branch, pk in parts[0].union(*parts[1:], all=True):
        found[branch].append(pk)
    in_texts, in_messages = found
    return (
        in_texts if texts and len(in_texts) <= WORDS_LISTED else None,
        sorted(set(in_messages)) if messages and len(in_messages) <= WORDS_LISTED else None,
    )


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
    if bigrams(term):
        # PostgreSQL estimates a pair its statistics do not list at up to 0.5% of the rows, and a
        # term of several pairs at the product of theirs, so left to itself it walked all
        # 1,000,000 cases for 发票, in no subject (1.5–2.3 s), and read 116,227 messages for
        # 扣了两次 (1.5 s). Here a common term walks the newest cases, each tested by a plain
        # `ILIKE` (no index to pick); a rare one is read by the ids its index gives.
        walk_texts = _common(term, "case_search_grams")
        walk_messages = _common(term, "message_search_grams")
        in_cases, in_case_messages = _listed(term, texts=not walk_texts, messages=not walk_messages)
        in_texts = Q(text__holds=term) if in_cases is None else Q(pk__in=in_cases)
        in_messages = (
            Exists(
                Message.objects.alias(text=SearchText("body")).filter(
                    case_id=OuterRef("pk"), text__holds=term
                )
            )
            if in_case_messages is None
            else Q(pk__in=in_case_messages)
        )
    branches = [
        _newest_first(visible.filter(condition), after).values_list("id", "created_at")[:limit]
        for condition in (in_texts, in_messages, named)
        if condition is not None
    ]
    union = branches[0].union(*branches[1:])
    return list(union.order_by("-created_at", "-id")[:limit])


def search_cases(
    user, term: str, *, after=None, page_size: int = PAGE_SIZE, opens_reference: bool = False
) -> SearchResults:
    """The search page: exact matches (first page only), then the word matches, newest first.

    With `opens_reference` (the page, which then opens the case) a term that is the reference of
    a case the user may see ends the search there: no word search, no rows loaded."""
    term = term.strip()
    results = SearchResults(term=term)
    if not term:
        return results
    exact_ids: list[int] = []
    if after is None:
        exact = list(
            cases_visible_to(user)
            .filter(search_condition(term))
            .order_by("-created_at", "-id")
            .values_list("id", "reference")[:EXACT_LIMIT]
        )
        exact_ids = [pk for pk, _reference in exact]
        results.reference_hit = next((r for _pk, r in exact if r == term.upper()), None)
        if opens_reference and results.reference_hit is not None:
            return results
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
