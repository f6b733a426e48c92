"""Run the same call from N threads at once, each on its own database connection."""

import threading

from django.db import connection


def run_concurrently(n: int, fn, *args_per_thread) -> list:
    """Call fn(i) in n threads released together; returns results (or exceptions) in index order."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def worker(i):
        try:
            barrier.wait(timeout=30)
            results[i] = fn(i)
        except Exception as exc:  # collected for the test to assert on
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results
