"""Small helpers shared by the runner's modules."""

import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
RESULTS = ROOT / "bench" / "results"
PG = "postgres://postgres@127.0.0.1:5432"
FORBIDDEN_DATABASES = {"bo_bench"}  # another engineer's report benchmarks: never written


def database_url(size: int) -> str:
    return f"{PG}/bo_bench_{size}"


def ok_status(url: str) -> int:
    """A search for a case's reference answers with the case (a redirect); every other read 200."""
    return 302 if url.startswith("/search/?q=CS-") else 200


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def summary(samples: list[float]) -> dict:
    """Median and p95 in ms of a list of durations in seconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "n": len(ordered),
        "median_ms": ms(statistics.median(ordered)),
        "p95_ms": ms(p95),
        "min_ms": ms(ordered[0]),
        "max_ms": ms(ordered[-1]),
    }


def load() -> float:
    return round(os.getloadavg()[0], 2)


class Timer:
    def __enter__(self):
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0
