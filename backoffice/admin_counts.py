"""Admin change lists over big tables that do not COUNT(*) them.

Django's change list counts its rows on every page load (the paginator's `count`), which at
1,000,000 cases read the whole table or the whole of a status: 47–108 ms of a 110–200 ms page.
`LargeTableMixin` counts exactly up to `EXACT_UP_TO` rows (a count over `LIMIT EXACT_UP_TO + 1`,
so at most that many index entries are read) and beyond that takes PostgreSQL's own row estimate
for the same query (`EXPLAIN`), which the page shows as "about N". Other databases (the SQLite
demo) count exactly.
"""

import json

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

EXACT_UP_TO = 10_000


def estimated_rows(queryset: QuerySet) -> int:
    """The planner's estimate of the rows `queryset` returns (0 if it gives none)."""
    plan = json.loads(queryset.order_by().explain(format="json"))
    return int(plan[0]["Plan"].get("Plan Rows", 0))


class EstimatedCountPaginator(Paginator):
    approximate = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or connections[queryset.db].vendor != "postgresql":
            return super().count
        bounded = queryset.order_by()[: EXACT_UP_TO + 1].count()
        if bounded <= EXACT_UP_TO:
            return bounded
        self.approximate = True
        return max(EXACT_UP_TO + 1, estimated_rows(queryset))


class LargeTableMixin:
    """For the model admins of tables that grow with the cases: no exact count past
    `EXACT_UP_TO`, and no second count of the unfiltered table."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
