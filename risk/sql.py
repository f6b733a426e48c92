"""The risk rules' hot reads as plain SQL: run on every intake and every feed batch.

Each is an index range scan that PostgreSQL answers in well under a millisecond; building the same
statement through the ORM (filters, subqueries, compiling) cost 1–2 ms of Python per statement in
`bench/bench_risk.py`, more than the rules' whole budget at intake. The SQL stays portable
(PostgreSQL and SQLite) and the rows are normalised here: aware datetimes, `Decimal` amounts,
one spelling per IP.
"""

import json
from datetime import UTC, datetime
from decimal import Decimal

from django.db import connection

from cases.choices import OPEN_STATUSES, OrderStatus
from cases.models import RechargeOrder
from risk.choices import WatchStatus

CENT = Decimal("0.01")
OPEN = sorted(OPEN_STATUSES)

# The customer's cases in the repeat window: `case_customer_time` (customer, created_at).
RECENT_CASES = "(SELECT count(*) FROM cases_case WHERE customer_id = %s AND created_at >= %s)"
# The active watch-list entry of an IP: the unique index on `ip`.
WATCHED = "(SELECT id FROM cases_flaggedip WHERE ip = %s AND status = %s)"
# The oldest open case of the same customer and order (the duplicate check of intake).
DUPLICATE = (
    "(SELECT id FROM cases_case WHERE customer_id = %s AND recharge_order_id = %s"
    " AND status IN (%s, %s, %s, %s) ORDER BY created_at, id LIMIT 1)"
)
assert DUPLICATE.count("%s") == 2 + len(OPEN), "one placeholder per open status"
# The customer's last orders before one: backward scan of `order_customer_placed`.
EARLIER_AMOUNTS = (
    "SELECT amount_paid FROM cases_rechargeorder"
    " WHERE customer_id = %s AND placed_at < %s AND id <> %s"
    " ORDER BY placed_at DESC LIMIT %s"
)
# The references of the customer's latest cases in the repeat window (the repeat rule's evidence).
RECENT_REFERENCES = (
    "SELECT reference FROM cases_case WHERE customer_id = %s AND created_at >= %s"
    " ORDER BY created_at DESC, id DESC LIMIT %s"
)
# Failed orders from one IP in a time range: one range scan of `order_ip_placed` per range.
FAILURES = "SELECT client_ip, placed_at FROM cases_rechargeorder WHERE status = %s AND ({})"
FAILURE_RANGE = "(client_ip = %s AND placed_at >= %s AND placed_at <= %s)"


def ip_param(ip: str):
    return RechargeOrder._meta.get_field("client_ip").get_db_prep_value(ip, connection)


def at(value: datetime):
    """A datetime parameter as the backend stores it (SQLite: naive UTC text)."""
    return connection.ops.adapt_datetimefield_value(value)


def aware(value: datetime) -> datetime:
    """SQLite hands back naive UTC datetimes; PostgreSQL aware ones."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def listed(select: str, column: str) -> str:
    """A SELECT of one `column` as one value: a PostgreSQL array, a JSON array on SQLite (`rows`
    reads both)."""
    if connection.vendor == "postgresql":
        return f"ARRAY({select})"
    return f"(SELECT json_group_array({column}) FROM ({select}))"  # noqa: S608 - constants


def rows(value) -> list:
    if isinstance(value, str):  # SQLite's JSON array
        return json.loads(value)
    return list(value or [])


def facts_statement(
    *,
    customer_id: int,
    cases_since: datetime | None,
    watched_ip: str | None,
    order_id: int | None,
    references: int = 0,
    amounts_before: tuple[datetime, int] | None = None,
) -> tuple[str, list]:
    """`references`: also the references of the customer's latest cases in the window (at most
    that many); `amounts_before` (placed_at, limit): also the amounts of the customer's last
    orders placed before the order `order_id` (the amount rule's history)."""
    columns, params = [], []
    if cases_since is not None:
        columns.append(f"{RECENT_CASES} AS recent_cases")
        params += [customer_id, at(cases_since)]
        if references:
            columns.append(f"{listed(RECENT_REFERENCES, 'reference')} AS recent_references")
            params += [customer_id, at(cases_since), references]
    if amounts_before is not None and order_id is not None:
        placed_at, limit = amounts_before
        columns.append(f"{listed(EARLIER_AMOUNTS, 'amount_paid')} AS earlier_amounts")
        params += [customer_id, at(placed_at), order_id, limit]
    if watched_ip:
        columns.append(f"{WATCHED} AS watched")
        params += [ip_param(watched_ip), WatchStatus.ACTIVE]
    if order_id is not None:
        columns.append(f"{DUPLICATE} AS duplicate_of")
        params += [customer_id, order_id, *OPEN]
    return (f"SELECT {', '.join(columns)}" if columns else ""), params


def intake_facts(**kwargs) -> dict:
    """One row: `recent_cases` (the customer's cases since `cases_since`), `watched` (the active
    watch-list entry of `watched_ip`), `duplicate_of` (an open case of the same customer and
    order `order_id`), `recent_references` and `earlier_amounts` (lists), each only when asked
    for (see `facts_statement`)."""
    sql, params = facts_statement(**kwargs)
    if not sql:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        names = [c[0] for c in cursor.description]
    facts = dict(zip(names, row, strict=True))
    if "recent_references" in facts:
        facts["recent_references"] = [str(r) for r in rows(facts["recent_references"])]
    if "earlier_amounts" in facts:
        facts["earlier_amounts"] = amounts(rows(facts["earlier_amounts"]))
    return facts


def amounts_statement(*, customer_id: int, placed_at: datetime, order_id: int, limit: int):
    return EARLIER_AMOUNTS, [customer_id, at(placed_at), order_id, limit]


def earlier_amounts(**kwargs) -> list[Decimal]:
    """The amounts of the customer's last `limit` orders placed before `placed_at`, newest first."""
    with connection.cursor() as cursor:
        cursor.execute(*amounts_statement(**kwargs))
        return amounts(amount for (amount,) in cursor.fetchall())


def amounts(values) -> list[Decimal]:
    return [Decimal(str(amount)).quantize(CENT) for amount in values]


def failures_statement(ranges: list[tuple[str, datetime, datetime]]) -> tuple[str, list]:
    params: list = [OrderStatus.FAILED]
    for ip, start, end in ranges:
        params += [ip_param(ip), at(start), at(end)]
    return FAILURES.format(" OR ".join([FAILURE_RANGE] * len(ranges))), params


def failures(ranges: list[tuple[str, datetime, datetime]]) -> list[tuple[str, datetime]]:
    """(client_ip, placed_at) of the failed orders from each IP within its range."""
    with connection.cursor() as cursor:
        cursor.execute(*failures_statement(ranges))
        return [(str(ip), aware(placed_at)) for ip, placed_at in cursor.fetchall()]
