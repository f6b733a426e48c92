"""The runner's own processes (gunicorn, a Celery worker): their trees read from /proc and the
RSS of every process in them sampled on a thread until stopped."""

import threading
from pathlib import Path

from bench.runner.common import load


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


class TreeSampler:
    """Every `interval` seconds: the RSS of a master process and of each of its children (the
    highest seen per pid, and the highest sum of the children), and every 20th tick the load
    average."""

    def __init__(self, master: int, *, interval: float = 0.25):
        self.master = master
        self.interval = interval
        self.rss: dict[int, int] = {}  # child pid → max RSS kB
        self.total_max_kb = 0
        self.master_max_kb = 0
        self.samples = 0
        self.loads: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        ticks = 0
        while not self._stop.is_set():
            total = 0
            for pid in children(self.master):
                kb = rss_kb(pid)
                self.rss[pid] = max(self.rss.get(pid, 0), kb)
                total += kb
            self.total_max_kb = max(self.total_max_kb, total)
            self.master_max_kb = max(self.master_max_kb, rss_kb(self.master))
            self.samples += 1
            if ticks % 20 == 0:
                self.loads.append(load())
            ticks += 1
            self._stop.wait(self.interval)

    def memory(self) -> dict:
        return {
            "workers": len(self.rss),
            "max_worker_rss_mb": round(max(self.rss.values(), default=0) / 1024, 1),
            "max_total_workers_rss_mb": round(self.total_max_kb / 1024, 1),
            "max_master_rss_mb": round(self.master_max_kb / 1024, 1),
            "samples": self.samples,
            "interval_s": self.interval,
        }
