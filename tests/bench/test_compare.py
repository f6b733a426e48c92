"""`bench/compare`'s own parts that need neither PyPI nor django-helpdesk: the table written
between the markers, the medians and ratios, the command line, the statement counter."""

import pytest
from django.contrib.auth import get_user_model

from bench.comparison import cli, report
from bench.comparison.protocol import measure

OLD = (
    "# Benchmarks\n\nintro\n\n<!-- compare:start -->\nold table\n<!-- compare:end -->\n\n## Next\n"
)


def answer(ms, queries=3):
    return {"ok": True, "ms": ms, "queries": queries, "status": [200], "bytes": 10}


def test_the_block_between_the_markers_is_replaced_and_nothing_else():
    new = report.replace_block(OLD, "| new | table |\n")

    assert new == (
        "# Benchmarks\n\nintro\n\n<!-- compare:start -->\n| new | table |\n"
        "<!-- compare:end -->\n\n## Next\n"
    )
    assert report.replace_block(new, "| new | table |\n") == new


def test_without_markers_the_section_is_appended():
    new = report.replace_block("# Benchmarks\n\nintro\n", "table\n")

    assert new == (
        "# Benchmarks\n\nintro\n\n## Side by side with django-helpdesk (bench/compare)\n\n"
        "<!-- compare:start -->\ntable\n<!-- compare:end -->\n"
    )


@pytest.mark.parametrize(
    "text",
    [
        "<!-- compare:end -->\n<!-- compare:start -->\n",
        "<!-- compare:start -->\n<!-- compare:start -->\n<!-- compare:end -->\n",
        "<!-- compare:start -->\nno end\n",
    ],
)
def test_markers_doubled_missing_or_out_of_order_are_refused(text):
    with pytest.raises(ValueError, match="compare:start"):
        report.replace_block(text, "table\n")


def test_medians_ratios_and_query_spans_per_operation():
    samples = {
        "product": {
            "staff_list": [answer(40.0, 8), answer(50.0, 8), answer(45.0, 9)],
            "detail": [answer(20.0), answer(30.0)],
            "create": [{"ok": False, "error": "status [500] (want 201)"}],
        },
        "helpdesk": {
            "staff_list": [answer(1200.0, 65), answer(1300.0, 65), answer(900.0, 65)],
            "detail": [answer(50.0, 36), answer(60.0, 36)],
            "create": [answer(24.0, 20)],
        },
    }

    rows = {row["op"]: row for row in report.summarize(samples)}

    assert [row["op"] for row in report.summarize(samples)] == [k for k, *_ in report.OPS]
    staff = rows["staff_list"]
    assert staff["product"] == {
        "n": 3,
        "median_ms": 45.0,
        "min_ms": 40.0,
        "queries": "8–9",
        "error": None,
    }
    assert staff["helpdesk"] == {
        "n": 3,
        "median_ms": 1200.0,
        "min_ms": 900.0,
        "queries": "65",
        "error": None,
    }
    assert staff["ratio"] == pytest.approx(1200 / 45)
    assert staff["ratio_min"] == pytest.approx(900 / 40)
    assert rows["detail"]["product"]["median_ms"] == 25.0
    assert rows["detail"]["ratio"] == pytest.approx(2.2)
    assert rows["create"]["product"] == {
        "n": 0,
        "median_ms": None,
        "min_ms": None,
        "queries": "–",
        "error": "status [500] (want 201)",
    }
    assert rows["create"]["ratio"] is None
    assert rows["reports"]["ratio"] is None  # measured on neither side


def test_the_table_rows():
    rows = report.summarize(
        {
            "product": {"api_list": [answer(28.7, 6)], "create": [{"ok": False, "error": "boom"}]},
            "helpdesk": {"api_list": [answer(43092.0, 100758)], "create": [answer(23.7, 20)]},
        }
    )

    lines = report.table(rows)

    assert lines[0].startswith("| operation |")
    assert (
        "| API list, first page | 28.7 ms (min 28.7) · 6 q · n=1 "
        "| 43,092 ms (min 43,092) · 100,758 q · n=1 | 1,501× | 1,501× |"
    ) in lines
    assert (
        "| create through the API | not measured (boom) | 23.7 ms (min 23.7) · 20 q · n=1 | – | – |"
    ) in lines
    assert report.fmt_ratio(26.3) == "26.3×" and report.fmt_ratio(1.049) == "1.05×"


def test_the_markdown_names_the_machine_and_the_load():
    result = {
        "cases": 1000,
        "rounds": 2,
        "started": "2026-12-07 16:00 UTC",
        "minutes": 3.2,
        "records": {"product": 1000, "helpdesk": 1001},
        "helpdesk_followups": 2002,
        "machine": {
            "cores": 2,
            "cpu": "Some CPU",
            "memory_gib": 24,
            "postgresql": "PostgreSQL 15.20",
            "python": "3.11.7",
        },
        "django": {"product": "5.2.19", "helpdesk": "5.2.20"},
        "helpdesk_version": "2.6.1",
        "load": {"before": [1.0, 2.0, 3.0], "after": [4.0, 5.0, 6.0], "during": [2.5, 7.25]},
        "rows": report.summarize({}),
    }

    text = report.markdown(result)

    assert text.startswith("`bench/compare --cases 1000 --rounds 2`, 2026-12-07 16:00 UTC (3 min)")
    assert "1,000 cases and 1,001 tickets (2,002 follow-ups)" in text
    assert "2 cores (Some CPU), 24 GiB, PostgreSQL 15.20" in text
    assert "1.00 / 2.00 / 3.00 before, 4.00 / 5.00 / 6.00 after, 1-min 2.50–7.25" in text
    assert text.count("| not measured | not measured | – | – |") == len(report.OPS)


def test_the_command_line():
    args = cli.parse_args([])
    assert (args.cases, args.rounds, args.slow_rounds, args.no_write) == (100_000, 10, 3, False)
    assert args.helpdesk_database_url.endswith("/bo_compare_helpdesk")

    quick = cli.parse_args(["--quick", "--cases", "10000", "--no-write"])
    assert (quick.cases, quick.rounds, quick.slow_rounds, quick.no_write) == (10_000, 3, 1, True)
    assert cli.parse_args(["--rounds", "2"]).slow_rounds == 2


@pytest.mark.parametrize(
    "argv",
    [
        ["--cases", "0"],
        ["--rounds", "-1"],
        ["--cases", "many"],
        ["--product-database-url", "postgres://postgres@127.0.0.1:5432/bo_bench_1000000"],
    ],
)
def test_bad_command_lines_are_refused(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.parse_args(argv)
    assert exit_.value.code == 2
    assert "bench/compare: error:" in capsys.readouterr().err


def test_a_database_is_reseeded_unless_it_holds_n_plus_what_runs_added():
    assert cli.needs_seed(None, 100_000)
    assert cli.needs_seed(99_999, 100_000)
    assert not cli.needs_seed(100_000, 100_000)
    assert not cli.needs_seed(101_000, 100_000)
    assert cli.needs_seed(101_001, 100_000)
    assert cli.needs_seed(1_000_000, 100_000)


@pytest.mark.django_db
def test_measure_counts_every_statement_and_reports_the_statuses():
    class Response:
        status_code = 201
        content = b"abc"

    def work():
        User = get_user_model()
        User.objects.count()
        User.objects.filter(username="nobody").exists()
        return [Response(), Response()]

    result = measure(work)

    assert result["queries"] == 2
    assert result["status"] == [201, 201]
    assert result["bytes"] == 6
    assert result["ms"] >= 0
