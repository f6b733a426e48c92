"""Measurements inside the Django process: reads through the test clients, intake through DRF's
APIClient beside the baseline, the SLA sweep (rolled back) and the reports."""

import os
import time
from contextlib import contextmanager
from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, reset_queries, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from bench.runner.common import Timer, ms, ok_status, summary

MANAGER = "bench_manager_1"  # made by bench/seed.py
AGENT = "bench_general_02"  # made by bench/seed.py: an agent of the general queue
INTAKE = "bench_intake"
FINANCE = "bench_finance"
AGENT = "bench_recharge_02"  # made by bench/seed.py: an agent of one queue (the search's scope)
AGENT_QUEUE = "recharge"
PRODUCT_URL = "/api/v1/cases/"
BASELINE_URL = "/bench/baseline/tickets/"


@contextmanager
def counting():
    """CaptureQueriesContext from an empty log. A request empties the log as it starts
    (`request_started` → `reset_queries`), so a capture begun with entries already logged sliced
    past the end and counted 0 (seen at 1,000,000 in the 2026-12-04 run)."""
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        yield captured


def prepare() -> dict:
    """Migrate (the product's pending migrations too: the benchmark measures the working tree as it
    is, on this size's own database) and the baseline app; the users and their credentials."""
    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("create_staff", INTAKE, role="intake", stdout=quiet)
        call_command("create_staff", FINANCE, role="finance", stdout=quiet)
    approval_tiers()
    User = get_user_model()
    manager = User.objects.get(username=MANAGER)
    intake = User.objects.get(username=INTAKE)
    html = Client()
    html.force_login(manager)
    finance = Client()
    finance.force_login(User.objects.get(username=FINANCE))
    agent = Client()
    agent.force_login(User.objects.get(username=AGENT))
    return {
        "manager": manager,
        "html": html,
        "finance": finance,
        "finance_session": finance.cookies["sessionid"].value,
        "agent": agent,
        "agent_session": agent.cookies["sessionid"].value,
        "session": html.cookies["sessionid"].value,
        "manager_token": Token.objects.get_or_create(user=manager)[0].key,
        "intake_token": Token.objects.get_or_create(user=intake)[0].key,
    }


def approval_tiers() -> None:
    """The seed makes the two tiers its refunds were decided under; a database seeded before it
    did (2026-12-05) has none, and without a tier nobody may open the approvals inbox. The same
    two tiers if there are none."""
    from refunds.models import ApprovalTier

    if not ApprovalTier.objects.filter(currency="CNY", enabled=True).exists():
        ApprovalTier.objects.create(name="Supervisor", role="supervisor", max_amount=500)
        ApprovalTier.objects.create(name="Finance", role="finance", max_amount=None)


def api_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def read_urls(api: APIClient, *, depth: int, references: list[str]) -> list[tuple[str, str, list]]:
    """(scenario, kind, urls): the pages timed at every size. The deep cursor page is reached by
    following `next` `depth` times from the first page."""
    url = PRODUCT_URL
    for _ in range(depth):
        url = api.get(url).json()["next"]
    deep = url.split("testserver", 1)[-1]
    detail = [f"/cases/{ref}/" for ref in references]
    return [
        ("Queue overview (HTML)", "html", ["/queues/"]),
        ("Queue cases, general (HTML)", "html", ["/queues/general/"]),
        ("All cases (HTML)", "html", ["/cases/"]),
        ("Closed cases, newest first (HTML)", "html", ["/cases/?status=closed"]),
        ("Case detail (HTML)", "html", detail),
        (
            "Case detail, the queue's agent (HTML)",
            "agent",
            [f"/cases/{ref}/" for ref in queue_references(AGENT_QUEUE, len(references))],
        ),
        ("Approvals inbox (HTML, finance)", "finance", ["/approvals/"]),
        ("Finance console (HTML, finance)", "finance", ["/finance/"]),
        ("API case list, first page", "api", [PRODUCT_URL]),
        ("API case list, status=new&priority=p1", "api", [PRODUCT_URL + "?status=new&priority=p1"]),
        ("API case list, breached=true", "api", [PRODUCT_URL + "?breached=true"]),
        (f"API case list, cursor page {depth + 1}", "api", [deep]),
        ("API case detail", "api", [f"/api/v1/cases/{ref}/" for ref in references]),
        (
            "API case list, search by customer id",
            "api",
            [f"{PRODUCT_URL}?q={customer}" for customer in sample_customers(len(references))],
        ),
    ]


def search_urls(n: int) -> list[tuple[str, str, list]]:
    """The top bar's search (issue 24), one scenario per kind of term: exact values sampled over
    the whole table (phones written as people type them, not as stored), and words the seeded
    texts hold (退款 and 没到账 in a seventh of the subjects or messages each, 发票 in one customer
    message in a thousand, English in the English-speaking customers' messages)."""
    from cases.models import Customer, RechargeOrder

    def url(term: str) -> str:
        return "/search/?" + urlencode({"q": term})

    def national(e164: str) -> str:  # +8613912345678 → 139 1234 5678
        digits = e164.removeprefix("+86")
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"

    return [
        ("Search: reference (opens the case)", "html", [url(r) for r in sample_references(n)]),
        (
            "Search: phone, typed 139 1234 5678",
            "html",
            [url(national(p)) for p in _spread(Customer, "phone", n)],
        ),
        ("Search: order id", "html", [url(o) for o in _spread(RechargeOrder, "order_id", n)]),
        (
            "Search: customer name (2 characters)",
            "html",
            [url(m) for m in ["王伟", "李娜", "张敏"]],
        ),
        ("Search: Chinese words, common", "html", [url(w) for w in ["退款", "没到账", "扣了两次"]]),
        ("Search: Chinese word, rare (发票)", "html", [url("发票")]),
        ("Search: English words", "html", [url(w) for w in ["charged twice", "hotline"]]),
        ("Search: a word found nowhere", "html", [url("xylophone")]),
        ("Search: Chinese words, one queue's agent", "agent", [url("退款"), url("发票")]),
    ]


def _spread(model, field: str, n: int) -> list[str]:
    """`field` of `n` rows spread evenly over the id range (old rows and new alike)."""
    top = model.objects.order_by("-id").values_list("id", flat=True).first() or 0
    step = max(1, top // (n + 1))
    ids = [step * (i + 1) for i in range(n)]
    return list(model.objects.filter(id__in=ids).order_by("id").values_list(field, flat=True))


def sample_customers(n: int) -> list[str]:
    """External ids of `n` customers, as staff would search them."""
    from cases.models import Customer

    return _spread(Customer, "external_id", n)


def queue_references(queue: str, n: int) -> list[str]:
    """References of `n` open cases of a queue spread over the id range: the cases its agents
    work, with every action form of the workspace (issue 27)."""
    from cases.models import Case

    open_cases = Case.objects.filter(queue__code=queue).exclude(status__in=["resolved", "closed"])
    top = open_cases.order_by("-id").values_list("id", flat=True).first() or 0
    step = max(1, top // (n + 1))
    found = []
    for i in range(n):
        ref = (
            open_cases.filter(id__gte=step * i)
            .order_by("id")
            .values_list("reference", flat=True)
            .first()
        )
        if ref and ref not in found:
            found.append(ref)
    return found


def sample_references(n: int) -> list[str]:
    from cases.models import Case

    return _spread(Case, "reference", n)


def time_reads(clients: dict, scenarios, *, repeat: int, warmup: int) -> list[dict]:
    rows = []
    for label, kind, urls in scenarios:
        try:
            rows.append({"scenario": label, **time_read(clients[kind], urls, repeat, warmup)})
        except Exception as exc:
            rows.append({"scenario": label, "error": f"{type(exc).__name__}: {exc}"[:300]})
        print(f"    {label}: {rows[-1]}", flush=True)
    return rows


def time_read(client, urls: list[str], repeat: int, warmup: int) -> dict:
    """Queries counted on the first `warmup` URLs (untimed, also the warm-up), then `repeat`
    timed requests cycling through the URLs."""
    counts = set()
    for url in urls[: max(warmup, 3)]:
        with counting() as captured:
            response = client.get(url)
        assert response.status_code == ok_status(url), (url, response.status_code)
        counts.add(len(captured.captured_queries))
    samples = []
    for i in range(repeat):
        url = urls[i % len(urls)]
        with Timer() as t:
            response = client.get(url)
        assert response.status_code == ok_status(url), (url, response.status_code)
        samples.append(t.seconds)
    return {
        "urls": len(urls),
        "queries": sorted(counts),
        "bytes": len(response.content),
        **summary(samples),
    }


def intake(creds: dict, payloads, *, count: int) -> dict:
    """`count` product intakes and `count` baseline inserts through APIClient, alternating (so the
    host's noise hits both alike); queries counted on the first five of each, untimed."""
    client = api_client(creds["intake_token"])
    result = {}
    for name, url, body in (
        ("product", PRODUCT_URL, payloads.case),
        ("baseline", BASELINE_URL, payloads.ticket),
    ):
        counts = []
        for _ in range(5):
            with counting() as captured:
                response = client.post(url, body(), format="json")
            assert response.status_code == 201, (url, response.status_code, response.content[:500])
            counts.append(len(captured.captured_queries))
        result[name] = {"queries": sorted(set(counts)), "samples": []}
    for _ in range(count):
        for name, url, body in (
            ("product", PRODUCT_URL, payloads.case),
            ("baseline", BASELINE_URL, payloads.ticket),
        ):
            data = body()
            with Timer() as t:
                response = client.post(url, data, format="json")
            assert response.status_code == 201, (url, response.status_code)
            result[name]["samples"].append(t.seconds)
    for row in result.values():
        samples = row.pop("samples")
        row.update(summary(samples))
        row["per_second"] = round(len(samples) / sum(samples), 1)
    result["ratio"] = round(result["product"]["per_second"] / result["baseline"]["per_second"], 3)
    return result


def sweep(*, repeat: int) -> dict:
    """`sla_sweep()` over every running clock, inside a transaction rolled back after each run (so
    every run finds the same clocks due; the batches' commits are savepoints here)."""
    from sla.models import SlaClock
    from sla.sweep import due_filter, sla_sweep

    now = timezone.now()
    running = SlaClock.objects.filter(state__in=["active", "paused"]).count()
    due = SlaClock.objects.filter(due_filter(now)).count()
    samples, fired, queries = [], [], []
    for _ in range(repeat):
        with transaction.atomic():
            with counting() as captured, Timer() as t:
                fired.append(sla_sweep(now=now))
            transaction.set_rollback(True)
        samples.append(t.seconds)
        queries.append(len(captured.captured_queries))
    return {
        "running_clocks": running,
        "due": due,
        "fired": fired[0],
        "queries": queries[0],
        **summary(samples),
    }


def next_case(*, repeat: int) -> dict:
    """ "Next case" (`POST /cases/next/`) by an agent of the general queue, each press inside a
    transaction rolled back afterwards (so every press finds and claims the same most urgent case):
    the locking walk of `case_unassigned_due`, the claim, its events and audit row, the redirect.
    Queries counted on every press: the count must not move."""
    agent = get_user_model().objects.get(username=AGENT)
    client = Client()
    client.force_login(agent)
    samples, queries, claimed = [], set(), set()
    for _ in range(repeat + 1):
        with transaction.atomic():
            with counting() as captured, Timer() as t:
                response = client.post("/cases/next/")
            transaction.set_rollback(True)
        assert response.status_code == 302, response.status_code
        claimed.add(response["Location"])
        queries.add(len(captured.captured_queries))
        samples.append(t.seconds)
    return {"claimed": sorted(claimed), "queries": sorted(queries), **summary(samples[1:])}


def last_month(today: date | None = None):
    from reports.params import Period

    today = today or timezone.localdate()
    end = today.replace(day=1) - timedelta(days=1)
    return Period(end.replace(day=1), end)


def reports() -> list[dict]:
    """The monthly SLA report by queue, the root causes and the regulator's statistics, for last
    month: one untimed run (counting queries), then one timed run each, as
    bench/bench_reports.py does."""
    from reports import queries, regulatory

    period = last_month()
    month = regulatory.parse_period(f"{period.start:%Y-%m}", today=period.end)
    rows = []
    for label, work in (
        ("SLA report, month, by queue", lambda: queries.sla_report(period, "queue")),
        ("Root causes, month", lambda: queries.root_causes(period)),
        ("Regulator's statistics, month", lambda: regulatory.regulatory_report(month)),
    ):
        with counting() as captured:
            work()
        started = time.perf_counter()
        work()
        rows.append(
            {
                "scenario": f"{label} ({period.start:%Y-%m})",
                "ms": ms(time.perf_counter() - started),
                "queries": len(captured.captured_queries),
            }
        )
        print(f"    {rows[-1]['scenario']}: {rows[-1]['ms']} ms", flush=True)
    return rows
