"""The sandbox provider's ledger: a SQLite file of every refund it recorded (standard library only).

Writes go through one lock (and SQLite's own file lock, in WAL mode), so that looking a key up and
recording a new refund for it is one step: the same idempotency key never makes a second row.
Pending refunds settle lazily: every read first settles those whose time has come.
"""

import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS refunds (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    idempotency_key TEXT NOT NULL UNIQUE,
    reference TEXT NOT NULL,
    amount TEXT NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('succeeded', 'pending', 'failed')),
    failure_reason TEXT,
    created_at TEXT NOT NULL,
    settles_at REAL
);
CREATE INDEX IF NOT EXISTS refunds_reference ON refunds (reference);
CREATE INDEX IF NOT EXISTS refunds_pending ON refunds (status, settles_at);
"""

PUBLIC_FIELDS = (
    "id",
    "status",
    "reference",
    "amount",
    "currency",
    "idempotency_key",
    "created_at",
    "failure_reason",
)


@dataclass(frozen=True)
class Outcome:
    """What the provider does with a new refund: its status, and for `pending`, when it settles."""

    status: str
    failure_reason: str | None = None
    settle_seconds: float = 0.0


class IdempotencyConflict(Exception):
    """The key was already used for a refund with another amount, currency or reference."""


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _public(row: sqlite3.Row) -> dict:
    return {field: row[field] for field in PUBLIC_FIELDS}


class Ledger:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._write_lock = threading.Lock()
        with self._write_lock, self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # A connection per operation: request threads come and go, and opening SQLite is cheap.
        with closing(sqlite3.connect(self.path, timeout=10, isolation_level=None)) as conn:
            conn.row_factory = sqlite3.Row
            yield conn

    def _settle_due(self, conn: sqlite3.Connection) -> None:
        conn.execute(
            "UPDATE refunds SET status = 'succeeded', settles_at = NULL "
            "WHERE status = 'pending' AND settles_at <= ?",
            (time.time(),),
        )

    def submit(
        self,
        *,
        idempotency_key: str,
        amount: str,
        currency: str,
        reference: str,
        decide: Callable[[], Outcome | None],
    ) -> dict | None:
        """The refund stored under the key, or a new one as `decide()` says (None: record nothing).

        `decide` is called only for a key never seen before, under the write lock, and the new row
        is committed before this returns.
        """
        with self._write_lock, self._connect() as conn:
            self._settle_due(conn)
            row = conn.execute(
                "SELECT * FROM refunds WHERE idempotency_key = ?", (idempotency_key,)
            ).fetchone()
            if row is not None:
                if (row["amount"], row["currency"], row["reference"]) != (
                    amount,
                    currency,
                    reference,
                ):
                    raise IdempotencyConflict(idempotency_key)
                return _public(row)
            outcome = decide()
            if outcome is None:
                return None
            settles_at = (
                time.time() + outcome.settle_seconds if outcome.status == "pending" else None
            )
            conn.execute(
                "INSERT INTO refunds (id, idempotency_key, reference, amount, currency, status, "
                "failure_reason, created_at, settles_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    f"re_{secrets.token_hex(12)}",
                    idempotency_key,
                    reference,
                    amount,
                    currency,
                    outcome.status,
                    outcome.failure_reason,
                    _now_iso(),
                    settles_at,
                ),
            )
            row = conn.execute(
                "SELECT * FROM refunds WHERE idempotency_key = ?", (idempotency_key,)
            ).fetchone()
            return _public(row)

    def _settle(self) -> None:
        with self._write_lock, self._connect() as conn:
            self._settle_due(conn)

    def get(self, refund_id: str) -> dict | None:
        self._settle()
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM refunds WHERE id = ?", (refund_id,)).fetchone()
        return _public(row) if row is not None else None

    def find(self, *, reference: str | None = None, status: str | None = None) -> list[dict]:
        """The refunds (with that reference / status), in the order they were recorded."""
        self._settle()
        sql, params = "SELECT * FROM refunds WHERE 1 = 1", []
        if reference is not None:
            sql += " AND reference = ?"
            params.append(reference)
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        with self._connect() as conn:
            rows = conn.execute(sql + " ORDER BY seq", params).fetchall()
        return [_public(row) for row in rows]
