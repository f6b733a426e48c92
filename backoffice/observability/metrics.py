"""`GET /metrics`: Prometheus' text format, computed from the database at scrape time.

Why prometheus-client and no per-process registry: gunicorn runs several worker processes and the
Celery workers run elsewhere, so counters kept in a process's memory would each tell a part of the
story (and django-prometheus' request metrics need its multiprocess mode and a shared directory on
every host). Every series here is read from the database when Prometheus asks, by whichever web
process answers, so every process gives the same answer. prometheus-client only formats them
(`*MetricFamily`, `generate_latest`) from a registry of our own: no per-process default collectors.

The domain apps contribute their series through `settings.METRICS_COLLECTORS` (dotted paths of
callables `collect(now) -> iterable of metric families`), so `backoffice` does not import them;
the task timings (`tasktimes.py`) are read here. Every read is bounded: stored counts, partial
indexes, bounded counts with the planner's estimate beyond (docs/operations.md, "Observability").

Access: with `METRICS_TOKEN` set, `Authorization: Bearer <token>`; with `METRICS_ALLOWED_IPS`
(addresses or networks), a direct connection from one of them (`REMOTE_ADDR`, and no
`X-Forwarded-For`: a request that came through the proxy is never let in by address, since the
proxy's own address may be on the list). Neither configured: 404. Configured but not allowed: 403.
"""

import hmac
import ipaddress
import logging
import math
from collections import defaultdict

from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily

from backoffice.db import replica
from backoffice.observability import tasktimes
from backoffice.observability.models import MetricTally
from backoffice.wiring import plugged

logger = logging.getLogger(__name__)

PREFIX = "backoffice_"


def _networks(entries) -> list:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            logger.warning("metrics: ignoring METRICS_ALLOWED_IPS entry %r", entry)
    return networks


def _token_ok(request, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), token.encode())


def _address_ok(request, networks) -> bool:
    if "X-Forwarded-For" in request.headers:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in networks)


def access(request) -> int | None:
    """None when the request may read the metrics, else the status to answer (404 or 403)."""
    token = settings.METRICS_TOKEN
    networks = _networks(settings.METRICS_ALLOWED_IPS)
    if not token and not networks:
        return 404
    if (token and _token_ok(request, token)) or (networks and _address_ok(request, networks)):
        return None
    return 403


def task_families(tallies) -> list:
    """Histograms of task run time and queue wait per task, and the failures' counter."""
    grouped = defaultdict(list)
    for tally in tallies:
        grouped[(tally.metric, tally.label)].append(tally)
    run = HistogramMetricFamily(
        PREFIX + tasktimes.RUN, "Celery task run time (prerun to postrun).", labels=["task"]
    )
    wait = HistogramMetricFamily(
        PREFIX + tasktimes.WAIT,
        "Celery task queue wait: publish (or its ETA) to the start of the run.",
        labels=["task"],
    )
    failures = CounterMetricFamily(
        PREFIX + tasktimes.FAILURES, "Celery task runs that raised.", labels=["task"]
    )
    histograms = {
        tasktimes.RUN: (run, tasktimes.RUN_BUCKETS),
        tasktimes.WAIT: (wait, tasktimes.WAIT_BUCKETS),
    }
    for (metric, label), rows in sorted(grouped.items()):
        if metric in histograms:
            family, bounds = histograms[metric]
            buckets = [
                (str(bound), sum(r.count for r in rows if r.le <= bound))
                for bound in (*bounds, math.inf)
            ]
            buckets[-1] = ("+Inf", buckets[-1][1])
            family.add_metric([label], buckets, sum_value=sum(r.total for r in rows))
        elif metric == tasktimes.FAILURES:
            failures.add_metric([label], sum(r.count for r in rows))
    return [run, wait, failures]


def replica_family(tallies) -> CounterMetricFamily:
    """Report and export reads that the primary answered instead of the replica, by reason."""
    fallbacks = CounterMetricFamily(
        PREFIX + replica.FALLBACKS,
        "Report and export reads served by the primary because the replica was unreachable, "
        "lagging or failed mid-read (backoffice/db/replica.py).",
        labels=["reason"],
    )
    counts = dict.fromkeys((replica.UNREACHABLE, replica.LAGGING, replica.FAILED), 0)
    for tally in tallies:
        counts[tally.label] = counts.get(tally.label, 0) + tally.count
    for reason, number in sorted(counts.items()):
        fallbacks.add_metric([reason], number)
    return fallbacks


class DatabaseCollector:
    """Reads every series when collected; registered on a registry of our own per scrape."""

    def collect(self):
        now = timezone.now()
        for collect in plugged("METRICS_COLLECTORS"):
            yield from collect(now)
        yield from task_families(MetricTally.objects.filter(metric__startswith="task_"))
        yield replica_family(MetricTally.objects.filter(metric=replica.FALLBACKS))


def render() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector())
    return generate_latest(registry)


@never_cache
@require_GET
def metrics(request):
    denied = access(request)
    if denied == 404:
        raise Http404
    if denied:
        return HttpResponse("forbidden\n", status=403, content_type="text/plain")
    try:
        body = render()
    except DatabaseError as exc:
        logger.warning("metrics: database unavailable: %s", exc)
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
