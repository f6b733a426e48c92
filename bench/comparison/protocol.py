"""The measuring workers' loop, shared by the product's and django-helpdesk's worker.

Each worker is a long-running process: it reads one JSON command a line on stdin and answers one
JSON line on stdout (Django's own output goes to stderr). `{"op": name}` runs the operation once,
timed, its SQL statements counted by a connection wrapper (cheap: no query log, DEBUG stays off);
`{"op": "info"}` describes the data; `{"op": "quit"}` ends the loop. Both sides are measured by
this same code, so the two columns of the table cost the same to take.
"""

import json
import os
import sys
import time
from collections.abc import Callable


class Counter:
    """`connection.execute_wrapper` hook: counts statements, adds nothing else."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def measure(work: Callable[[], list]) -> dict:
    """Run `work` (one operation: a list of test-client responses) once: ms, statements, statuses."""
    from django.db import connection

    counter = Counter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        responses = work()
        seconds = time.perf_counter() - started
    return {
        "ms": round(seconds * 1000, 3),
        "queries": counter.count,
        "status": [r.status_code for r in responses],
        "bytes": sum(len(r.content) for r in responses),
    }


def serve(ops: dict[str, tuple[int, Callable[[], list]]], info: Callable[[], dict]) -> None:
    """Answer commands until `quit` or end of input. `ops`: name → (expected status, work)."""
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    sys.stdout = sys.stderr  # anything printed by the product or helpdesk stays off the channel
    for line in sys.stdin:
        command = json.loads(line)
        op = command.get("op")
        try:
            if op == "quit":
                out.write(json.dumps({"ok": True}) + "\n")
                break
            if op == "info":
                answer = {"ok": True, **info()}
            else:
                expected, work = ops[op]
                answer = {"ok": True, **measure(work)}
                if any(status != expected for status in answer["status"]):
                    answer = {"ok": False, "error": f"status {answer['status']} (want {expected})"}
        except Exception as exc:  # reported to the driver, which records the error in the table
            answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:500]}
        out.write(json.dumps(answer, default=str) + "\n")
