"""`bench/run [--sizes 10000,100000,1000000] [--quick] [--seed] [--refunds N]
[--database-url URL] [--only Search]`

For each size, against `bo_bench_<size>` (seeded by bench/seed.py; `--seed` seeds a missing or
smaller one): a child process measures reads, the SLA sweep, the reports and intake, with gunicorn
(2 workers) up throughout and its workers' RSS sampled. Writes bench/results/run.json and run.md,
and prints the Markdown.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import psycopg

from bench.runner import table
from bench.runner.common import FORBIDDEN_DATABASES, PYTHON, RESULTS, ROOT, database_url, load

FULL = {"repeat": 30, "http_repeat": 10, "depth": 10, "intakes": 100, "threads": 4, "seconds": 20, "sweep_repeat": 3}  # fmt: skip
QUICK = {"repeat": 8, "http_repeat": 3, "depth": 3, "intakes": 15, "threads": 4, "seconds": 4, "sweep_repeat": 1}  # fmt: skip


def case_count(url: str) -> int | None:
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM cases_case").fetchone()[0]
    except psycopg.Error:
        return None


def ensure_seeded(size: int, url: str, seed: bool) -> None:
    have = case_count(url)
    if have is not None and have >= size:
        return
    command = [str(PYTHON), "bench/seed.py", "--cases", str(size), "--reset", "--database-url", url]
    if not seed:
        sys.exit(f"{url} holds {have or 0:,} cases; seed it first:\n  {' '.join(command)}")
    print(f"seeding: {' '.join(command)}", flush=True)
    subprocess.run(command, cwd=ROOT, check=True)


def run_size(size: int, url: str, opts: dict) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        done = subprocess.run(
            [str(PYTHON), "-m", "bench.runner.size", str(size), url, json.dumps(opts), out.name],
            cwd=ROOT,
        )
        text = Path(out.name).read_text()
        result = json.loads(text) if text else {"size": size}
        if done.returncode and "error" not in result:
            result["error"] = f"exit status {done.returncode}"
        return result


def refunds(count: int) -> dict | None:
    """bench/bench_refunds.py as it is (it drops and recreates `bo_bench_refunds`): skipped if
    someone is connected to that database."""
    with psycopg.connect(f"{database_url(0).rsplit('/', 1)[0]}/postgres") as conn:
        busy = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = 'bo_bench_refunds'"
        ).fetchone()[0]
    if busy:
        print("refunds: bo_bench_refunds is in use; not measured", flush=True)
        return None
    out = RESULTS / "run_refunds.json"
    subprocess.run(
        [str(PYTHON), "bench/bench_refunds.py", "--refunds", str(count), "--json", str(out)],
        cwd=ROOT,
        check=True,
    )
    return json.loads(out.read_text())


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated case counts")
    parser.add_argument("--quick", action="store_true", help="fewer repeats, shorter HTTP phases")
    parser.add_argument("--seed", action="store_true", help="seed missing or smaller databases")
    parser.add_argument("--refunds", type=int, default=0, help="also run bench_refunds.py (N)")
    parser.add_argument(
        "--database-url",
        help="measure this database (one size: its case count) instead of bo_bench_<size>",
    )
    parser.add_argument(
        "--only",
        help="time only the reads whose name starts with one of these (comma-separated, e.g. "
        "'Search,All cases'), nothing else",
    )
    parser.add_argument("--json", type=Path, default=RESULTS / "run.json")
    parser.add_argument("--md", type=Path, default=RESULTS / "run.md")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    if args.database_url and len(sizes) != 1:
        parser.error("--database-url measures one size: give one --sizes")
    opts = {**(QUICK if args.quick else FULL), "only": args.only or ""}
    started = datetime.now().astimezone().isoformat(timespec="seconds")
    result = {
        "started": started,
        "machine": f"{platform.node()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "options": {"quick": args.quick, **opts},
        "load_start": load(),
        "runs": [],
    }
    for size in sizes:
        url = args.database_url or database_url(size)
        assert url.rsplit("/", 1)[-1] not in FORBIDDEN_DATABASES
        ensure_seeded(size, url, args.seed)
        print(f"size {size:,}: {url}", flush=True)
        result["runs"].append(run_size(size, url, opts))
    result["refunds"] = refunds(args.refunds) if args.refunds else None
    result["load_end"] = load()
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n")
    text = table.markdown(result)
    args.md.write_text(text)
    print("\n" + text)
    print(f"wrote {args.json} and {args.md}")
