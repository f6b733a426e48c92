"""Keyset (cursor) pagination for the case lists: no OFFSET, no COUNT(*).

A page is "the next N rows after (value, id)" in the list's order, found through the indexes on
`(next_due_at, id)` and `(created_at, id)`. The cursor is an opaque token holding the boundary row's
(value, id) and the direction; a forged or stale cursor just gives the first page.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

# ordering parameter → (field, descending)
ORDERINGS = {
    "next_due_at": ("next_due_at", False),
    "-next_due_at": ("next_due_at", True),
    "created_at": ("created_at", False),
    "-created_at": ("created_at", True),
}
PAGE_SIZE = 25


@dataclass
class Page:
    items: list
    next_cursor: str | None
    prev_cursor: str | None

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.prev_cursor)


def encode(value: datetime, pk: int, direction: str) -> str:
    raw = json.dumps({"v": value.isoformat(), "i": pk, "d": direction}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(token: str | None) -> tuple[datetime, int, str] | None:
    if not token or len(token) > 200:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        value = datetime.fromisoformat(data["v"])
        pk, direction = int(data["i"]), data["d"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None
    if value.tzinfo is None or direction not in ("n", "p"):
        return None
    return value, pk, direction


def _after(field: str, value, pk: int, descending: bool) -> Q:
    op = "lt" if descending else "gt"
    return Q(**{f"{field}__{op}": value}) | Q(**{field: value, f"pk__{op}": pk})


def keyset_page(qs: QuerySet, *, ordering: str, cursor: str | None, size: int = PAGE_SIZE) -> Page:
    field, descending = ORDERINGS.get(ordering, ORDERINGS["next_due_at"])
    position = decode(cursor)
    backwards = bool(position) and position[2] == "p"
    scan_descending = descending != backwards
    prefix = "-" if scan_descending else ""
    qs = qs.order_by(f"{prefix}{field}", f"{prefix}pk")
    if position:
        qs = qs.filter(_after(field, position[0], position[1], scan_descending))
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    if not rows:
        return Page([], None, None)
    first, last = rows[0], rows[-1]

    def token(row, direction):
        return encode(getattr(row, field), row.pk, direction)

    if backwards:
        return Page(rows, token(last, "n"), token(first, "p") if more else None)
    return Page(rows, token(last, "n") if more else None, token(first, "p") if position else None)
