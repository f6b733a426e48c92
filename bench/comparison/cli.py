"""`bench/compare [--cases 100000] [--rounds 10] [--quick] [--no-write]`

This product beside django-helpdesk at the same N, on the same PostgreSQL, in one run:

1. django-helpdesk (pinned, `--helpdesk-version`) from PyPI into its own virtual environment,
   bench/.compare/venv (created on the first run; git-ignored), with Django 5.2 and psycopg.
2. Each product seeded with N: the product by bench/seed.py into `bo_compare_product`, django-helpdesk
   by helpdesk_side/hd_seed.py into `bo_compare_helpdesk`; a database already holding N (up to
   the few rows earlier runs created) is kept.
3. Two long-running workers, one per product, each in its own virtual environment, measure the
   same six operations through in-process test clients with DEBUG off. The driver alternates them:
   an untimed warm-up round, then `--rounds` rounds, each operation asked of both products in turn
   (which one goes first alternates by round), so the host's noise hits both alike. An operation
   whose warm-up took more than `--slow-seconds` on either side is timed in `--slow-rounds` rounds
   only (helpdesk's API list reads every ticket: about 40 s a request at 100,000).
4. Medians, statement counts and the ratios into bench/results/compare.json and, unless
   `--no-write`, into docs/benchmarks.md between `<!-- compare:start -->` and `<!-- compare:end -->`.
"""

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.comparison import report

ROOT = Path(__file__).resolve().parent.parent.parent
HERE = Path(__file__).resolve().parent
SCRATCH = ROOT / "bench" / ".compare"
HELPDESK_SIDE = HERE / "helpdesk_side"
PG = "postgres://postgres@127.0.0.1:5432"
HELPDESK_VERSION = "2.6.1"  # the version issue 27 measured by hand
DJANGO_FOR_HELPDESK = "Django>=5.2,<5.3"  # the product's series; helpdesk 2.6 needs >= 5.2
QUICK = {"rounds": 3, "slow_rounds": 1}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/compare", description=__doc__.split("\n")[2].strip()
    )
    parser.add_argument("--cases", type=_positive, default=100_000, help="N for both (100000)")
    parser.add_argument("--rounds", type=_positive, default=10, help="timed rounds (10)")
    parser.add_argument("--slow-seconds", type=float, default=30.0)
    parser.add_argument("--slow-rounds", type=_positive, default=3)
    parser.add_argument("--quick", action="store_true", help="3 rounds, slow operations once")
    parser.add_argument("--no-write", action="store_true", help="leave docs/benchmarks.md alone")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "compare.json")
    parser.add_argument("--product-database-url", default=f"{PG}/bo_compare_product")
    parser.add_argument("--helpdesk-database-url", default=f"{PG}/bo_compare_helpdesk")
    parser.add_argument("--helpdesk-version", default=HELPDESK_VERSION)
    parser.add_argument(
        "--broker-url",
        default=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/13"),
        help="where the product's intake publishes its tasks (bench.settings' BENCH_BROKER_URL)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.slow_rounds = QUICK["rounds"], QUICK["slow_rounds"]
    args.slow_rounds = min(args.slow_rounds, args.rounds)
    for url in (args.product_database_url, args.helpdesk_database_url):
        if url.rsplit("/", 1)[-1] in {"bo_bench", "bo_bench_1000000", "bo_main"}:
            parser.error(f"{url}: a shared database; bench/compare writes its own")
    return args


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text}: must be 1 or more")
    return value


def needs_seed(have: int | None, cases: int) -> bool:
    """Seed unless the database holds N plus at most what earlier runs created."""
    return have is None or not cases <= have <= cases + max(1000, cases // 100)


# ---- machine -------------------------------------------------------------------------------


def machine(url: str) -> dict:
    import psycopg

    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    except (OSError, StopIteration):
        mem_kb = 0
    with psycopg.connect(url) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kb / 2**20),
        "postgresql": f"PostgreSQL {pg.split()[0]}",
        "python": platform.python_version(),
        "host": platform.node(),
    }


def loadavg() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


# ---- set-up --------------------------------------------------------------------------------


def count(url: str, table: str) -> int | None:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    except psycopg.Error:
        return None


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def helpdesk_python(version: str) -> Path:
    """The helpdesk venv's interpreter, (re)made when missing or holding another version."""
    venv = SCRATCH / "venv"
    python = venv / "bin" / "python"
    probe = "import importlib.metadata as m; print(m.version('django-helpdesk'))"
    if python.exists():
        done = subprocess.run([python, "-c", probe], capture_output=True, text=True)
        if done.returncode == 0 and done.stdout.strip() == version:
            return python
    log(f"installing django-helpdesk=={version} into {venv}")
    subprocess.run([sys.executable, "-m", "venv", "--clear", venv], check=True)
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
         f"django-helpdesk=={version}", DJANGO_FOR_HELPDESK, "psycopg[binary]"],
        check=True,
    )  # fmt: skip
    return python


def helpdesk_env(url: str) -> dict:
    return {
        **os.environ,
        "PYTHONPATH": f"{HELPDESK_SIDE}{os.pathsep}{ROOT}",
        "DJANGO_SETTINGS_MODULE": "hd_settings",
        "HELPDESK_DATABASE_URL": url,
        "HELPDESK_MEDIA_ROOT": str(SCRATCH / "media"),
    }


def product_env(args) -> dict:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": args.product_database_url,
        "BENCH_BROKER_URL": args.broker_url,
    }


def seed(args, hd_python: Path) -> None:
    have = count(args.product_database_url, "cases_case")
    if needs_seed(have, args.cases):
        log(f"seeding the product: {args.cases:,} cases into {args.product_database_url}")
        subprocess.run(
            [sys.executable, "bench/seed.py", "--cases", str(args.cases), "--reset",
             "--database-url", args.product_database_url],
            cwd=ROOT, check=True,
        )  # fmt: skip
    ensure_database(args.helpdesk_database_url)
    have = count(args.helpdesk_database_url, "helpdesk_ticket")
    command = [hd_python, HELPDESK_SIDE / "hd_seed.py", "--tickets", str(args.cases)]
    if needs_seed(have, args.cases):
        log(f"seeding django-helpdesk: {args.cases:,} tickets into {args.helpdesk_database_url}")
        command.append("--reset")
    subprocess.run(command, env=helpdesk_env(args.helpdesk_database_url), cwd=ROOT, check=True)


# ---- the run -------------------------------------------------------------------------------


class Worker:
    """One product's measuring process; one JSON line each way per command."""

    def __init__(self, name: str, command: list, env: dict):
        SCRATCH.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.log_path = SCRATCH / f"{name}.log"
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.log, text=True, bufsize=1,
        )  # fmt: skip

    def ask(self, op: str) -> dict:
        self.process.stdin.write(json.dumps({"op": op}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            tail = self.log_path.read_text()[-2000:]
            raise RuntimeError(f"the {self.name} worker ended (see {self.log_path}):\n{tail}")
        return json.loads(line)

    def close(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(RuntimeError, BrokenPipeError):
                self.ask("quit")
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


def rounds(workers: dict[str, Worker], args) -> tuple[dict, dict, list[float]]:
    """The warm-up round, then the timed rounds, interleaved. Returns (timed samples, warm-up
    answers, 1-minute load averages seen between rounds)."""
    keys = [key for key, *_ in report.OPS]
    warmup: dict[str, dict] = {side: {} for side in report.SIDES}
    for key in keys:
        for side in report.SIDES:
            warmup[side][key] = workers[side].ask(key)
        log(f"  warm-up {key}: " + ", ".join(f"{s} {_short(warmup[s][key])}" for s in report.SIDES))
    slow = {
        key
        for key in keys
        if any(warmup[side][key].get("ms", 0) > args.slow_seconds * 1000 for side in report.SIDES)
    }
    samples: dict[str, dict[str, list]] = {side: {key: [] for key in keys} for side in report.SIDES}
    loads = [os.getloadavg()[0]]
    for r in range(args.rounds):
        order = report.SIDES if r % 2 == 0 else report.SIDES[::-1]
        for key in keys:
            if key in slow and r >= args.slow_rounds:
                continue
            for side in order:
                samples[side][key].append(workers[side].ask(key))
        loads.append(os.getloadavg()[0])
        log(f"  round {r + 1}/{args.rounds} done (load {loads[-1]:.2f})")
    return samples, warmup, loads


def _short(answer: dict) -> str:
    return f"{answer['ms']:,.1f} ms/{answer['queries']} q" if answer.get("ok") else answer["error"]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv=None) -> dict:
    args = parse_args(argv)
    started = time.perf_counter()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load_before = loadavg()
    hd_python = helpdesk_python(args.helpdesk_version)
    seed(args, hd_python)
    workers = {
        "product": Worker(
            "product", [sys.executable, "-m", "bench.comparison.product_worker"], product_env(args)
        ),
        "helpdesk": Worker(
            "helpdesk",
            [hd_python, HELPDESK_SIDE / "hd_worker.py"],
            helpdesk_env(args.helpdesk_database_url),
        ),
    }
    try:
        info = {side: workers[side].ask("info") for side in report.SIDES}
        for side, answer in info.items():
            if not answer.get("ok"):
                raise RuntimeError(f"{side} worker: {answer.get('error')}")
        samples, warmup, loads = rounds(workers, args)
    finally:
        for worker in workers.values():
            worker.close()
        purge(args.broker_url)
    result = {
        "started": stamp,
        "cases": args.cases,
        "rounds": args.rounds,
        "slow_rounds": args.slow_rounds,
        "minutes": (time.perf_counter() - started) / 60,
        "records": {side: info[side]["records"] for side in report.SIDES},
        "helpdesk_followups": info["helpdesk"]["followups"],
        "django": {side: info[side]["django"] for side in report.SIDES},
        "helpdesk_version": info["helpdesk"]["helpdesk"],
        "machine": machine(args.product_database_url),
        "load": {"before": load_before, "after": loadavg(), "during": loads},
        "rows": report.summarize(samples),
        "warmup": warmup,
        "samples": samples,
    }
    text = report.markdown(result)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(text)
    if not args.no_write:
        args.docs.write_text(report.replace_block(args.docs.read_text(), text))
        log(f"wrote {args.docs} and {args.json}")
    return result


def purge(broker_url: str) -> None:
    """Drop the tasks the product's intakes published (nobody consumes bench.settings' queue)."""
    try:
        import redis

        redis.Redis.from_url(broker_url).delete("bench-run")
    except Exception as exc:  # the broker being down must not lose the measurements
        log(f"could not empty bench-run on {broker_url}: {exc}")
