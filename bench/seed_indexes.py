"""The seed's secondary indexes: dropped before the load, rebuilt after it by several connections.

`capture` reads, for the loaded tables, every index that is not a primary key and every unique
constraint that no foreign key depends on, drops them and returns `Build`s that recreate each one
with its name and definition from the catalog:

- an index of a plain table: its `CREATE INDEX`;
- a unique constraint: `CREATE UNIQUE INDEX` under the constraint's name (parallel like any index),
  then `ALTER TABLE … ADD CONSTRAINT … UNIQUE USING INDEX` (catalog only);
- an index of a partitioned table (the timeline): `CREATE INDEX … ON ONLY` the parent (catalog
  only), one build per partition under the partition index's own name, then `ALTER INDEX …
  ATTACH PARTITION` each (the parent index turns valid when its last partition is attached).

The statements are also written to `PENDING` in the load's transaction and removed when the rebuild
is over, so a run interrupted after the load's commit finishes the rebuild first (`resume`).

`rebuild` runs the builds largest table first over `jobs` connections, each with its share of
the maintenance memory budget, and prints one progress line per index.
"""

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

import psycopg
from psycopg import sql

PENDING = "bench_seed_pending_index"
LOADED = "-- the load was committed"


@dataclass(frozen=True)
class Build:
    table: str  # the loaded table: the build may start once its rows are committed
    name: str
    relation: str  # the table (or partition) the build scans
    before: str  # catalog statement run first, serially ('' for none)
    create: str  # the build, run in parallel
    after: str  # catalog statement run once every build is done ('' for none)


def _q(name: str) -> str:
    return sql.Identifier(name).as_string(None)


def _unique_constraints(cur, tables: list[str]) -> list[tuple[Build, str]]:
    cur.execute(
        """
        SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid),
               pg_get_indexdef(c.conindid), t.relkind = 'p', c.condeferrable
        FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
        WHERE c.contype = 'u' AND c.conrelid = ANY(%s::regclass[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint f
                          WHERE f.contype = 'f' AND f.conindid = c.conindid)
        """,
        [tables],
    )
    found = []
    for table, name, definition, indexdef, partitioned, deferrable in cur.fetchall():
        drop = f"ALTER TABLE {_q(table)} DROP CONSTRAINT {_q(name)}"
        add = f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}"
        if partitioned or deferrable:  # USING INDEX takes neither: one build, as the catalog says
            found.append((Build(table, name, table, "", add, ""), drop))
        else:
            using = (
                f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} UNIQUE USING INDEX {_q(name)}"
            )
            found.append((Build(table, name, table, "", indexdef, using), drop))
    return found


def _indexes(cur, tables: list[str]) -> list[tuple[list[Build], str]]:
    cur.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid),
               i.indrelid::regclass::text, t.relkind = 'p'
        FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
        WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """,
        [tables],
    )
    found = []
    for name, definition, table, partitioned in cur.fetchall():
        drop = f"DROP INDEX {_q(name)}"
        if not partitioned:
            found.append(([Build(table, name, table, "", definition, "")], drop))
            continue
        cur.execute(
            "SELECT c.indexrelid::regclass::text, pg_get_indexdef(c.indexrelid), "
            "c.indrelid::regclass::text FROM pg_inherits h JOIN pg_index c "
            "ON c.indexrelid = h.inhrelid WHERE h.inhparent = %s::regclass ORDER BY 1",
            [name],
        )
        children = cur.fetchall()
        partitions = cur.execute(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = %s::regclass", [table]
        ).fetchone()[0]
        if not children or len(children) != partitions:
            # Not on every partition (a database seeded before 2026-12-07 holds only the
            # parent's invalid `ON ONLY` index): one build on the parent makes them all.
            whole = definition.replace(" ON ONLY ", " ON ", 1)
            found.append(([Build(table, name, table, "", whole, "")], drop))
            continue
        parent = definition  # pg_get_indexdef says "ON ONLY" for a partitioned index
        builds = [
            Build(
                table,
                child,
                partition,
                parent if k == 0 else "",
                child_definition,
                f"ALTER INDEX {_q(name)} ATTACH PARTITION {_q(child)}",
            )
            for k, (child, child_definition, partition) in enumerate(children)
        ]
        found.append((builds, drop))
    return found


def capture(cur, tables: list[str]) -> list[Build]:
    """Drop the secondary indexes and unique constraints of `tables`; return how to rebuild them,
    also kept in `PENDING` (in the caller's transaction)."""
    builds: list[Build] = []
    for build, drop in _unique_constraints(cur, tables):
        cur.execute(drop)
        builds.append(build)
    for group, drop in _indexes(cur, tables):
        cur.execute(drop)
        builds.extend(group)
    cur.execute(
        f"CREATE TABLE IF NOT EXISTS {PENDING} (k int PRIMARY KEY, table_ text, name text, "
        "relation text, before text, create_ text, after text)"
    )
    cur.execute(f"DELETE FROM {PENDING}")
    with cur.copy(f"COPY {PENDING} FROM STDIN") as copy:
        for k, b in enumerate(builds):
            copy.write_row((k, b.table, b.name, b.relation, b.before, b.create, b.after))
    return builds


def mark_loaded(cur) -> None:
    """The load is committed whole: an interrupted rebuild can be finished without reloading."""
    cur.execute(f"INSERT INTO {PENDING} (k, name) VALUES (-1, %s)", [LOADED])


def pending(cur) -> tuple[list[Build], bool]:
    """The builds of an interrupted run (none if the last run finished), and whether its load was
    committed whole (else only `--reset` makes the database whole again)."""
    if not cur.execute("SELECT to_regclass(%s) IS NOT NULL", [PENDING]).fetchone()[0]:
        return [], True
    rows = cur.execute(
        f"SELECT table_, name, relation, before, create_, after FROM {PENDING} ORDER BY k"
    ).fetchall()
    loaded = any(row[1] == LOADED for row in rows)
    return [Build(*row) for row in rows if row[1] != LOADED], loaded


@dataclass
class Budget:
    jobs: int
    memory_mb: int  # maintenance_work_mem over all jobs
    parallel_workers: int  # max_parallel_maintenance_workers of each job

    @property
    def per_job_mb(self) -> int:
        return max(64, self.memory_mb // self.jobs)


_IDEMPOTENT = re.compile(r"^CREATE (UNIQUE )?INDEX (?!IF NOT EXISTS )")
GIN_MB = 64  # the trigram builds: faster with little memory than with gigabytes (measured)


def _connect(url: str, budget: Budget) -> psycopg.Connection:
    conn = psycopg.connect(url, autocommit=True)
    conn.execute(f"SET max_parallel_maintenance_workers = {budget.parallel_workers}")
    conn.execute("SET synchronous_commit = off")
    return conn


class Pool:
    """`budget.jobs` connections running statements in the order submitted, one progress line
    each; `wait` returns once every statement submitted so far is done (or raises its error)."""

    def __init__(self, url: str, budget: Budget, log, t0: float):
        self.url, self.budget, self.log, self.t0 = url, budget, log, t0
        self.executor = ThreadPoolExecutor(budget.jobs, thread_name_prefix="seed-index")
        self.local = threading.local()
        self.lock = threading.Lock()
        self.opened: list[psycopg.Connection] = []
        self.futures: list = []
        self.done = 0

    def _run(self, label: str, statement: str, memory_mb: int) -> None:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = _connect(self.url, self.budget)
            with self.lock:
                self.opened.append(conn)
        conn.execute(f"SET maintenance_work_mem = '{memory_mb}MB'")
        start = time.perf_counter()
        conn.execute(statement)
        seconds = time.perf_counter() - start
        with self.lock:
            self.done += 1
            self.log(
                f"    {self.done:>3}/{len(self.futures)} {label:<56} {seconds:7.1f} s"
                f"   (elapsed {time.perf_counter() - self.t0:7.1f} s)"
            )

    def submit(self, label: str, statement: str, memory_mb: int | None = None) -> None:
        statement = _IDEMPOTENT.sub(r"CREATE \1INDEX IF NOT EXISTS ", statement)  # a resumed run
        memory_mb = memory_mb or self.budget.per_job_mb
        with self.lock:
            self.futures.append(self.executor.submit(self._run, label, statement, memory_mb))

    def wait(self) -> None:
        for future in as_completed(list(self.futures)):
            future.result()

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        for conn in self.opened:
            conn.close()


def run_parallel(url: str, tasks: list[tuple[str, str]], budget: Budget, log, t0: float) -> None:
    """Run `(label, statement)` tasks over `budget.jobs` connections, in the order given."""
    pool = Pool(url, budget, log, t0)
    try:
        for label, statement in tasks:
            pool.submit(label, statement)
        pool.wait()
    finally:
        pool.close()


class Rebuild:
    """The builds of `builds`, table by table as the load commits them (`ready`), over a `Pool`;
    `finish` waits for them, runs the catalog statements and forgets `PENDING`."""

    def __init__(self, url: str, builds: list[Build], budget: Budget, log, t0: float):
        self.url, self.builds = url, builds
        self.pool = Pool(url, budget, log, t0)
        self.started: set[str] = set()

    def ready(self, *tables: str) -> None:
        todo = [b for b in self.builds if b.table in tables and b.create]
        if not todo:
            return
        with psycopg.connect(self.url) as conn:
            size = dict(
                conn.execute(
                    "SELECT r, pg_total_relation_size(r::regclass) FROM unnest(%s::text[]) r",
                    [sorted({b.relation for b in todo})],
                ).fetchall()
            )
        # The trigram (GIN) builds first (the longest: their expressions cost most), then the
        # largest tables first: the long jobs start early, the short ones fill the gaps.
        todo.sort(key=lambda b: (" USING gin " not in b.create, -size[b.relation], b.name))
        for b in todo:
            gin = " USING gin " in b.create
            self.pool.submit(f"{b.name} ({b.relation})", b.create, GIN_MB if gin else None)
        self.started.update(tables)

    def finish(self) -> None:
        try:
            self.ready(*({b.table for b in self.builds} - self.started))
            self.pool.wait()
        finally:
            self.pool.close()
        with psycopg.connect(self.url) as conn:
            for statement in [b.before for b in self.builds] + [b.after for b in self.builds]:
                if statement:
                    conn.execute(_IDEMPOTENT.sub(r"CREATE \1INDEX IF NOT EXISTS ", statement))
            conn.execute(f"DROP TABLE IF EXISTS {PENDING}")

    def abandon(self) -> None:
        self.pool.close()


def rebuild(url: str, builds: list[Build], budget: Budget, log, t0: float) -> None:
    """Recreate `builds` (from `capture` or `pending`) at once, then forget them."""
    Rebuild(url, builds, budget, log, t0).finish()
