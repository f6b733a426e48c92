"""The arithmetic and the Markdown of `bench/compare` (no Django, no database: unit-tested)."""

import statistics

START = "<!-- compare:start -->"
END = "<!-- compare:end -->"
HEADING = "## Side by side with django-helpdesk (bench/compare)"

# key, label, this product's request(s), django-helpdesk's request(s)
OPS = [
    (
        "staff_list",
        "staff list, first page",
        "`GET /cases/`",
        "`GET /tickets/` + its first `datatables_ticket_list` call",
    ),
    ("api_list", "API list, first page", "`GET /api/v1/cases/`", "`GET /api/tickets/`"),
    ("dashboard", "dashboard / queue overview", "`GET /queues/`", "`GET /dashboard/`"),
    ("reports", "SLA report / reports page", "`GET /reports/`", "`GET /reports/`"),
    (
        "detail",
        "case / ticket detail page",
        "`GET /cases/<ref>/` (20 cases)",
        "`GET /tickets/<id>/` (20 tickets)",
    ),
    ("create", "create through the API", "`POST /api/v1/cases/`", "`POST /api/tickets/`"),
]
SIDES = ("product", "helpdesk")


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def ratio(helpdesk_ms: float | None, product_ms: float | None) -> float | None:
    """How many times the product's median fits in helpdesk's (above 1: the product is faster)."""
    if not helpdesk_ms or not product_ms:
        return None
    return helpdesk_ms / product_ms


def query_span(counts: list[int]) -> str:
    if not counts:
        return "–"
    low, high = min(counts), max(counts)
    return f"{low:,}" if low == high else f"{low:,}–{high:,}"


def summarize(samples: dict[str, dict[str, list[dict]]]) -> list[dict]:
    """samples[side][op] → the timed answers of the workers; one row per operation (in OPS order)
    with each side's median ms, query span, sample count and first error, and the ratio."""
    rows = []
    for key, label, product_what, helpdesk_what in OPS:
        row = {
            "op": key,
            "label": label,
            "what": {"product": product_what, "helpdesk": helpdesk_what},
        }
        for side in SIDES:
            answers = samples.get(side, {}).get(key, [])
            good = [a for a in answers if a.get("ok")]
            errors = [a["error"] for a in answers if not a.get("ok")]
            row[side] = {
                "n": len(good),
                "median_ms": median([a["ms"] for a in good]),
                "min_ms": min((a["ms"] for a in good), default=None),
                "queries": query_span([a["queries"] for a in good]),
                "error": errors[0] if errors else None,
            }
        row["ratio"] = ratio(row["helpdesk"]["median_ms"], row["product"]["median_ms"])
        row["ratio_min"] = ratio(row["helpdesk"]["min_ms"], row["product"]["min_ms"])
        rows.append(row)
    return rows


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def fmt_ratio(value: float | None) -> str:
    if value is None:
        return "–"
    return (
        f"{value:,.0f}×" if value >= 100 else f"{value:,.1f}×" if value >= 10 else f"{value:.2f}×"
    )


def _cell(side: dict) -> str:
    if side["median_ms"] is None:
        return "not measured" + (f" ({side['error'][:80]})" if side["error"] else "")
    return (
        f"{fmt_ms(side['median_ms'])} ms (min {fmt_ms(side['min_ms'])}) · {side['queries']} q"
        f" · n={side['n']}"
    )


def table(rows: list[dict]) -> list[str]:
    lines = [
        "| operation | this product: median (min) · queries | django-helpdesk: median (min) · "
        "queries | helpdesk / product, medians | … minimums |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['label']} | {_cell(row['product'])} | {_cell(row['helpdesk'])} "
            f"| {fmt_ratio(row['ratio'])} | {fmt_ratio(row['ratio_min'])} |"
        )
    return lines


def markdown(result: dict) -> str:
    """The block written between the markers: the run's line, the table, the requests measured."""
    m = result["machine"]
    loads = result["load"]
    lines = [
        f"`bench/compare --cases {result['cases']} --rounds {result['rounds']}`, "
        f"{result['started']} ({result['minutes']:.0f} min): "
        f"{result['records']['product']:,} cases and {result['records']['helpdesk']:,} tickets "
        f"({result['helpdesk_followups']:,} follow-ups) at the start; "
        f"{m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB, {m['postgresql']}, "
        f"Python {m['python']}; Django {result['django']['product']} (product) and "
        f"{result['django']['helpdesk']} with django-helpdesk {result['helpdesk_version']}. "
        f"Load average (1 / 5 / 15 min) {_load(loads['before'])} before, "
        f"{_load(loads['after'])} after, 1-min {min(loads['during']):.2f}–{max(loads['during']):.2f} "
        f"during the rounds.",
        "",
        *table(result["rows"]),
        "",
        "Requests: "
        + "; ".join(
            f"{row['label']}: {row['what']['product']} vs {row['what']['helpdesk']}"
            for row in result["rows"]
        )
        + ".",
    ]
    return "\n".join(lines) + "\n"


def _load(values: list[float]) -> str:
    return " / ".join(f"{v:.2f}" for v in values)


def replace_block(text: str, block: str) -> str:
    """`text` with what lies between the markers replaced by `block`; with no markers yet, the
    section (heading and markers) appended at the end. Markers out of order or doubled: an error,
    never a guess."""
    starts, ends = text.count(START), text.count(END)
    if starts == 0 and ends == 0:
        return f"{text.rstrip()}\n\n{HEADING}\n\n{START}\n{block.rstrip()}\n{END}\n"
    if starts != 1 or ends != 1 or text.index(START) > text.index(END):
        raise ValueError(f"expected one {START} before one {END}")
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n{block.rstrip()}\n{END}{after}"
