"""The case workspace (`/cases/<reference>/`) of three roles, timed in-process as `bench/run`
measures it, for one checkout or two interleaved (issue 27).

    .venv/bin/python bench/bench_case_page.py --database-url postgres://…/bo_x \
        [--before ../base-checkout] [--rounds 10] [--batch 20] [--profile agent]

Each checkout runs in a process of its own (`--serve`, its tree first on `sys.path`, `bench.settings`:
`DEBUG` off, the shared cache on Redis when `CACHE_URL` says so); the driver asks them in turns for
`--batch` requests of one role at a time, so load that comes and goes falls on both alike. Per page:
median and p90 wall time, median CPU of the Django process (`time.process_time`), statements per
request (counted on the warm-up requests). `--profile ROLE` prints a cProfile of `--batch` requests
of that role instead (cumulative, the top functions)."""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
ROLES = {
    "manager": "bench_manager_1",  # every queue: the runner's "Case detail (HTML)"
    "agent": "bench_recharge_02",  # the queue's agent: the runner's agent row
    "supervisor": "bench_recharge_01",  # the queue's supervisor: every action form
}
CASES = 20


def serve(root: str, tag: str) -> None:
    """Answer the driver's commands on stdin, one JSON line each, from checkout `root`."""
    sys.path.insert(0, root)
    os.chdir(root)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    from django.conf import settings

    settings.CACHES["default"]["KEY_PREFIX"] = f"casepage-{tag}"
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.runner.inproc import queue_references, sample_references

    User = get_user_model()
    urls = {
        "manager": [f"/cases/{r}/" for r in sample_references(CASES)],
        "agent": [f"/cases/{r}/" for r in queue_references("recharge", CASES)],
    }
    urls["supervisor"] = urls["agent"]
    clients = {}
    for role, username in ROLES.items():
        clients[role] = Client()
        clients[role].force_login(User.objects.get(username=username))

    def get(role, url):
        response = clients[role].get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    for line in sys.stdin:
        command = json.loads(line)
        role, n = command["role"], command["n"]
        if command["do"] == "warm":
            counts = []
            for url in urls[role][:5] * 2:
                reset_queries()
                with CaptureQueriesContext(connection) as captured:
                    get(role, url)
                counts.append(len(captured.captured_queries))
            answer = {"queries": sorted(set(counts[5:]))}
        elif command["do"] == "time":
            wall, cpu = [], []
            for i in range(n):
                url = urls[role][i % len(urls[role])]
                t0, c0 = time.perf_counter(), time.process_time()
                get(role, url)
                wall.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
            answer = {"wall": wall, "cpu": cpu}
        else:  # profile
            import cProfile
            import io
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
            for i in range(n):
                get(role, urls[role][i % len(urls[role])])
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).sort_stats(command.get("sort", "cumulative"))
            stats.print_stats(command.get("top", 60))
            answer = {"text": out.getvalue()}
        print(json.dumps(answer), flush=True)


class Worker:
    def __init__(self, root: Path, tag: str, env: dict):
        self.tag = tag
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve", str(root), "--tag", tag],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
            cwd=root,
        )

    def ask(self, **command) -> dict:
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self):
        self.process.stdin.close()
        self.process.wait()


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--before", help="another checkout, timed in turns with this one")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--roles", nargs="+", default=list(ROLES))
    parser.add_argument("--profile", choices=list(ROLES))
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=60)
    args = parser.parse_args(argv)
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
    }
    trees = [("after", HERE)] + ([("before", Path(args.before).resolve())] if args.before else [])
    workers = [Worker(root, tag, env) for tag, root in trees]
    try:
        if args.profile:
            for w in workers:
                w.ask(do="warm", role=args.profile, n=0)
                text = w.ask(
                    do="profile", role=args.profile, n=args.batch, sort=args.sort, top=args.top
                )
                print(f"===== {w.tag}\n{text['text']}")
            return
        print(f"load average at the start: {os.getloadavg()}", flush=True)
        samples = {(w.tag, r): {"wall": [], "cpu": []} for w in workers for r in args.roles}
        queries = {}
        for role in args.roles:
            for w in workers:
                queries[(w.tag, role)] = w.ask(do="warm", role=role, n=0)["queries"]
        for _ in range(args.rounds):
            for role in args.roles:
                for w in workers:
                    got = w.ask(do="time", role=role, n=args.batch)
                    samples[(w.tag, role)]["wall"] += got["wall"]
                    samples[(w.tag, role)]["cpu"] += got["cpu"]
        print(f"load average at the end: {os.getloadavg()}")
        for role in args.roles:
            medians = {}
            for w in workers:
                s = samples[(w.tag, role)]
                medians[w.tag] = statistics.median(s["wall"])
                print(
                    f"{role:10} {w.tag:6} n={len(s['wall'])} median {medians[w.tag] * 1000:6.1f} ms"
                    f"  p90 {p90(s['wall']) * 1000:6.1f} ms  CPU {statistics.median(s['cpu']) * 1000:6.1f} ms"
                    f"  statements {queries[(w.tag, role)]}"
                )
            if "before" in medians:
                print(f"{role:10} after/before {medians['after'] / medians['before']:.2f}")
    finally:
        for w in workers:
            w.close()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        tag = sys.argv[sys.argv.index("--tag") + 1]
        serve(sys.argv[2], tag)
    else:
        main()
