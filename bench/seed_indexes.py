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

import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

import psycopg
from psycopg import sql

PENDING = "bench_seed_pending_index"


@dataclass(frozen=True)
class Build:
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
            found.append((Build(name, table, "", add, ""), drop))
        else:
            using = (
                f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} UNIQUE USING INDEX {_q(name)}"
            )
            found.append((Build(name, table, "", indexdef, using), drop))
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
            found.append(([Build(name, table, "", definition, "")], drop))
            continue
        cur.execute(
            "SELECT c.indexrelid::regclass::text, pg_get_indexdef(c.indexrelid), "
            "c.indrelid::regclass::text FROM pg_inherits h JOIN pg_index c "
            "ON c.indexrelid = h.inhrelid WHERE h.inhparent = %s::regclass ORDER BY 1",
            [name],
        )
        parent = definition  # pg_get_indexdef says "ON ONLY" for a partitioned index
        builds = [
            Build(
                child,
                partition,
                parent if k == 0 else "",
                child_definition,
                f"ALTER INDEX {_q(name)} ATTACH PARTITION {_q(child)}",
            )
            for k, (child, child_definition, partition) in enumerate(cur.fetchall())
        ]
        found.append((builds or [Build(name, table, parent, "", "")], drop))
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
        f"CREATE TABLE IF NOT EXISTS {PENDING} (k int PRIMARY KEY, name text, relation text, "
        "before text, create_ text, after text)"
    )
    cur.execute(f"DELETE FROM {PENDING}")
    with cur.copy(f"COPY {PENDING} FROM STDIN") as copy:
        for k, b in enumerate(builds):
            copy.write_row((k, b.name, b.relation, b.before, b.create, b.after))
    return builds


def pending(cur) -> list[Build]:
    """The builds of an interrupted run (none if the last run finished)."""
    if not cur.execute("SELECT to_regclass(%s) IS NOT NULL", [PENDING]).fetchone()[0]:
        return []
    rows = cur.execute(
        f"SELECT name, relation, before, create_, after FROM {PENDING} ORDER BY k"
    ).fetchall()
    return [Build(*row) for row in rows]


@dataclass
class Budget:
    jobs: int
    memory_mb: int  # maintenance_work_mem over all jobs
    parallel_workers: int  # max_parallel_maintenance_workers of each job

    @property
    def per_job_mb(self) -> int:
        return max(64, self.memory_mb // self.jobs)


def _connect(url: str, budget: Budget) -> psycopg.Connection:
    conn = psycopg.connect(url, autocommit=True)
    conn.execute(f"SET maintenance_work_mem = '{budget.per_job_mb}MB'")
    conn.execute(f"SET max_parallel_maintenance_workers = {budget.parallel_workers}")
    conn.execute("SET synchronous_commit = off")
    return conn


def run_parallel(url: str, tasks: list[tuple[str, str]], budget: Budget, log, t0: float) -> None:
    """Run `(label, statement)` tasks over `budget.jobs` connections, in the order given (largest
    first), one progress line per finished task."""
    local = threading.local()
    opened: list[psycopg.Connection] = []
    lock = threading.Lock()
    done = [0]

    def run(label: str, statement: str) -> float:
        if not hasattr(local, "conn"):
            local.conn = _connect(url, budget)
            with lock:
                opened.append(local.conn)
        start = time.perf_counter()
        local.conn.execute(statement)
        return time.perf_counter() - start

    try:
        with ThreadPoolExecutor(budget.jobs) as pool:
            futures = {pool.submit(run, label, stmt): label for label, stmt in tasks}
            for future in as_completed(futures):
                seconds = future.result()
                done[0] += 1
                log(
                    f"    {done[0]:>3}/{len(tasks)} {futures[future]:<52} {seconds:7.1f} s"
                    f"   (elapsed {time.perf_counter() - t0:7.1f} s)"
                )
    finally:
        for conn in opened:
            conn.close()


def _sizes(cur, relations: set[str]) -> dict[str, int]:
    rows = cur.execute(
        "SELECT r, pg_total_relation_size(r::regclass) FROM unnest(%s::text[]) r",
        [sorted(relations)],
    ).fetchall()
    return dict(rows)


def rebuild(url: str, builds: list[Build], budget: Budget, log, t0: float) -> None:
    """Recreate `builds` (from `capture` or `pending`), then forget them."""
    with psycopg.connect(url, autocommit=True) as conn:
        for b in builds:
            if b.before:
                conn.execute(b.before)
        size = _sizes(conn.cursor(), {b.relation for b in builds})
    # Largest table first, the trigram (GIN) builds first among a table's: the longest jobs start
    # early and the short ones fill the gaps at the end.
    ordered = sorted(
        (b for b in builds if b.create),
        key=lambda b: (-size.get(b.relation, 0), " USING gin " not in b.create, b.name),
    )
    run_parallel(url, [(f"{b.name} ({b.relation})", b.create) for b in ordered], budget, log, t0)
    with psycopg.connect(url) as conn:
        for b in builds:
            if b.after:
                conn.execute(b.after)
        conn.execute(f"DROP TABLE IF EXISTS {PENDING}")
