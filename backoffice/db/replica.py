"""Reports and exports on the read replica (`DATABASE_REPLICA_URL`), the primary when it is not fit.

A report or an export computes its rows through `on_replica(read, *args)`: inside, the ORM's reads
go to the `replica` alias (the router, `routers.py`) and raw SQL asks `read_connection()` for its
connection. Everything else stays on `default`: the pages and lists, which must show what the
request (or the one before it) just wrote, every write, including the export's own log row
(`privacy.services.export_log`, called outside the read), and migrations.

The replica is read when it is configured, answers, and is not further behind than
`REPLICA_MAX_LAG_SECONDS`; each process looks (one cheap query on the replica) at most every
`REPLICA_CHECK_SECONDS`. Otherwise, or when the read fails on the replica's connection, the read
runs on the primary; the fallback is logged (on each fresh look that finds the replica unfit) and
counted in `/metrics` as `backoffice_replica_fallbacks_total{reason}`. Inside a transaction of the
primary the read stays there too (it may depend on writes not committed yet).

Lag is the time since the last transaction the replica replayed, counted only while it has WAL it
has not replayed yet (an idle primary sends none: the replica is then up to date, lag 0). It does
not see WAL the primary has not sent yet; `pg_stat_replication` on the primary does.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    InterfaceError,
    OperationalError,
    connections,
)

from backoffice.observability import tasktimes

logger = logging.getLogger(__name__)

REPLICA = "replica"
FALLBACKS = "replica_fallbacks"  # MetricTally's metric; labels: the reasons below
UNREACHABLE, LAGGING, FAILED = "unreachable", "lagging", "failed"

T = TypeVar("T")

_reading: ContextVar[str | None] = ContextVar("backoffice_db_reading", default=None)

LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE greatest(0, extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()))
END
"""


@dataclass(frozen=True)
class Health:
    usable: bool
    lag: float | None  # seconds; None when unknown (unreachable, nothing replayed yet)
    reason: str  # empty when usable, else UNREACHABLE or LAGGING
    detail: str
    checked_at: float  # time.monotonic()


_lock = threading.Lock()
_last: Health | None = None


def configured() -> bool:
    return REPLICA in connections.settings


def reading_alias() -> str | None:
    """The alias the current report reads from (`replica`), None outside `on_replica`."""
    return _reading.get()


def read_connection():
    """The connection a report's raw SQL runs on: the replica's inside `on_replica`, else the
    primary's."""
    return connections[_reading.get() or DEFAULT_DB_ALIAS]


def forget() -> None:
    """Look at the replica afresh on the next read (tests; after reconfiguring)."""
    global _last
    with _lock:
        _last = None


def _close_replica() -> None:
    with contextlib.suppress(DatabaseError):
        connections[REPLICA].close()


def _look(now: float) -> Health:
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(LAG_SQL)
            (lag,) = cursor.fetchone()
    except DatabaseError as exc:
        _close_replica()
        return Health(False, None, UNREACHABLE, str(exc).strip(), now)
    limit = settings.REPLICA_MAX_LAG_SECONDS
    if lag is None:
        return Health(False, None, LAGGING, "nothing replayed yet", now)
    lag = float(lag)
    if lag > limit:
        return Health(False, lag, LAGGING, f"{lag:.1f} s behind (limit {limit:g} s)", now)
    return Health(True, lag, "", "", now)


def health() -> Health:
    """The replica's state as this process last saw it, looked at again when older than
    `REPLICA_CHECK_SECONDS`."""
    global _last
    now = time.monotonic()
    with _lock:
        last = _last
    if last is not None and now - last.checked_at < settings.REPLICA_CHECK_SECONDS:
        return last
    state = _look(now)
    if not state.usable:
        logger.warning("replica not used (%s): %s", state.reason, state.detail)
    with _lock:
        _last = state
    return state


def _mark_failed(exc: Exception) -> None:
    global _last
    _close_replica()
    logger.warning("replica read failed, reading the primary: %s", str(exc).strip())
    with _lock:
        _last = Health(False, None, UNREACHABLE, str(exc).strip(), time.monotonic())


def _fell_back(reason: str) -> None:
    tasktimes.count(FALLBACKS, reason)


def on_replica(read: Callable[..., T], /, *args, **kwargs) -> T:
    """`read(*args, **kwargs)` with its queries on the replica when it is fit, else on the
    primary. `read` only reads: its writes would go to the primary anyway (the router), but a
    write belongs after it, on the primary, where the caller does it."""
    if _reading.get() is not None or not configured():
        return read(*args, **kwargs)
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return read(*args, **kwargs)
    state = health()
    if not state.usable:
        _fell_back(state.reason)
        return read(*args, **kwargs)
    token = _reading.set(REPLICA)
    try:
        return read(*args, **kwargs)
    except (OperationalError, InterfaceError) as exc:
        # The replica went away (or cancelled the query for a replay conflict) mid-read.
        _mark_failed(exc)
    finally:
        _reading.reset(token)
    _fell_back(FAILED)
    return read(*args, **kwargs)
