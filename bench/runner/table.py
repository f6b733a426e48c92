"""The Markdown tables of a run (bench/results/run.md)."""


def _n(value) -> str:
    if value is None:
        return "not measured"
    if isinstance(value, float):
        return f"{value:,.1f}" if value >= 10 else f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _queries(counts: list[int]) -> str:
    return str(counts[0]) if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"


def reads(runs: list[dict]) -> list[str]:
    sizes = [run["size"] for run in runs]
    head = "| read | " + " | ".join(
        f"{s:,}: median / p95 ms (HTTP median) · queries" for s in sizes
    )
    lines = [head + " | largest / smallest |", "|---|" + "---:|" * (len(sizes) + 1)]
    for i, row in enumerate(runs[0]["reads"]):
        cells = [_read_cell(run["reads"][i]) for run in runs]
        first, last = runs[0]["reads"][i], runs[-1]["reads"][i]
        ratio = (
            f"{last['median_ms'] / first['median_ms']:.2f}"
            if "median_ms" in first and "median_ms" in last and len(runs) > 1
            else "–"
        )
        lines.append(f"| {row['scenario']} | " + " | ".join(cells) + f" | {ratio} |")
    return lines


def _read_cell(r: dict) -> str:
    if "error" in r:
        return "not measured (error)"
    http = f"{r['http_median_ms']:.1f}" if r.get("http_median_ms") is not None else "–"
    return f"{r['median_ms']:.1f} / {r['p95_ms']:.1f} ({http}) · {_queries(r['queries'])}"


def _cell(get, run: dict) -> str:
    try:
        return _n(get(run))
    except (KeyError, TypeError, IndexError):
        return "not measured (error)" if any("error" in str(v)[:12] for v in run.values()) else "–"


def per_size(runs: list[dict]) -> list[str]:
    sizes = [run["size"] for run in runs]
    lines = ["| figure | " + " | ".join(f"{s:,}" for s in sizes) + " |"]
    lines.append("|---|" + "---:|" * len(sizes))

    def row(label, get):
        lines.append(f"| {label} | " + " | ".join(_cell(get, run) for run in runs) + " |")

    row("cases (open)", lambda r: f"{r['data']['cases']:,} ({r['data']['open_cases']:,})")
    row("intake in-process, product /s", lambda r: r["intake_inprocess"]["product"]["per_second"])
    row("intake in-process, baseline /s", lambda r: r["intake_inprocess"]["baseline"]["per_second"])
    row("intake in-process, product / baseline", lambda r: r["intake_inprocess"]["ratio"])
    row(
        "queries per intake, product",
        lambda r: _queries(r["intake_inprocess"]["product"]["queries"]),
    )
    row(
        "queries per insert, baseline",
        lambda r: _queries(r["intake_inprocess"]["baseline"]["queries"]),
    )
    row("intake HTTP, product /s", lambda r: r["intake_http"]["product"]["per_second"])
    row("intake HTTP, baseline /s", lambda r: r["intake_http"]["baseline"]["per_second"])
    row("intake HTTP, product / baseline", lambda r: r["intake_http"]["ratio"])
    row("intake HTTP, product median / p95 ms", lambda r: _lat(r["intake_http"]["product"]))
    row("intake HTTP, baseline median / p95 ms", lambda r: _lat(r["intake_http"]["baseline"]))
    row("intake HTTP errors", lambda r: _errors(r["intake_http"]))
    row("SLA sweep ms (clocks due → thresholds fired)", _sweep)
    row("next case (POST, rolled back) median / p95 ms · queries", _next_case)
    names = ["SLA report, month, by queue", "Root causes, month", "Regulator's statistics, month"]
    for i, name in enumerate(names):
        row(f"{name} ms · queries", lambda r, i=i: _report(r["reports"][i]))
    row("gunicorn worker max RSS MB (2 workers)", lambda r: r["memory"]["max_worker_rss_mb"])
    row(
        "Celery worker max RSS MB: pool process / main",
        lambda r: (
            f"{r['worker_memory']['max_worker_rss_mb']} / {r['worker_memory']['max_master_rss_mb']}"
        ),
    )
    row("Celery worker: SMS / e-mails delivered, queue drained in s", _worker)
    row("load average (1 min) during the run", _loads)
    return lines


def _lat(row: dict) -> str:
    return f"{row['median_ms']:.1f} / {row['p95_ms']:.1f}" if "median_ms" in row else "–"


def _errors(intake: dict) -> str:
    errors = {**intake["product"]["errors"], **intake["baseline"]["errors"]}
    return ", ".join(f"{k}: {v}" for k, v in errors.items()) or "0"


def _sweep(run: dict) -> str:
    s = run["sweep"]
    return f"{s['median_ms']:,.0f} ({s['due']:,} → {s['fired']:,}; {s['running_clocks']:,} running)"


def _next_case(run: dict) -> str:
    n = run["next_case"]
    return f"{_lat(n)} · {_queries(n['queries'])}"


def _worker(run: dict) -> str:
    w = run["worker"]
    left = f", {w['left_in_queue']:,} left" if w["left_in_queue"] else ""
    held = w.get("held_for_quiet_hours")
    held = f" ({held:,} held for quiet hours)" if held else ""
    return f"{w['sms_sent']:,} / {w['mail_sent']:,}{held}, {w['drain_s']} s{left}"


def _report(rep: dict) -> str:
    return f"{rep['ms']:,.0f} · {rep['queries']}"


def _loads(run: dict) -> str:
    loads = [run["load_start"], *run["load_samples"], run["load_end"]]
    return f"{min(loads):.1f}–{max(loads):.1f}"


def markdown(result: dict) -> str:
    runs = [run for run in result["runs"] if "reads" in run]
    failed = [run for run in result["runs"] if "reads" not in run]
    if not runs:
        return f"bench/run {result['started']}: no size completed: {failed}\n"
    out = [
        f"bench/run {result['started']} · {result['machine']} · {result['python']} · "
        f"{runs[0]['data']['postgresql']} · options {result['options']}",
        "",
        *per_size(runs),
        "",
        "Reads (median / p95 ms in-process over the test clients; HTTP median through gunicorn; "
        "queries per request):",
        "",
        *reads(runs),
    ]
    for run in failed:
        out += ["", f"Size {run.get('size')}: not measured ({run.get('error')})"]
    if result.get("refunds"):
        out += ["", f"Refund pipeline (bench/bench_refunds.py): {result['refunds']}"]
    return "\n".join(out) + "\n"
