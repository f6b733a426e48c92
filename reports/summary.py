"""The daily summary e-mail to managers: yesterday's SLA figures, yesterday's breaches, and the
regulatory deadlines due within three days. Plain text, a Chinese section then an English one.

One e-mail per active manager with an address, through the notification outbox
(`notifications.services.notify_staff`): a row per (day, manager), unique in the database, so
a redelivered or retried task never sends a second one, and the outbox's claim, retries and relay
deliver it like every customer message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.utils import timezone, translation

from backoffice.audit.checkpoints import Checkpoint, audit_checkpoint
from backoffice.db.replica import on_replica
from backoffice.roles import Role
from notifications.models import Purpose
from notifications.services import notify_staff
from reports import queries
from reports.params import Period, local_today
from sla.choices import Metric

logger = logging.getLogger(__name__)

LISTED = 20  # breaches and deadlines listed by name; the rest are counted


@dataclass
class Summary:
    day: date
    totals: queries.SlaRow
    queues: list[queries.SlaRow]
    breaches: list[dict]
    breach_count: int
    deadlines: list[dict]
    deadline_count: int
    audit: Checkpoint | None = None


def build(day: date) -> Summary:
    period = Period(day, day)
    queues = queries.sla_report(period, "queue")
    breaches = queries.breaches(period)
    deadlines = queries.deadlines()
    return Summary(
        day=day,
        totals=queries.sla_totals(queues),
        queues=[row for row in queues if row.cases or row.met or row.breached or row.open_backlog],
        breaches=_listed(breaches[:LISTED]),
        breach_count=breaches.count(),
        deadlines=_listed(deadlines[:LISTED]),
        deadline_count=deadlines.count(),
    )


def _listed(rows) -> list[dict]:
    listed = []
    for row in rows:
        item = dict(row)
        for name in ("due_at", "breached_at"):
            if item.get(name):
                item[f"{name}_local"] = timezone.localtime(item[name]).strftime("%Y-%m-%d %H:%M")
        if "metric" in item:
            item["metric_zh"], item["metric_en"] = _both(lambda m=item["metric"]: Metric(m).label)
        listed.append(item)
    return listed


def _local(iso: str) -> str:
    return timezone.localtime(datetime.fromisoformat(iso)).strftime("%Y-%m-%d %H:%M:%S")


def _both(label) -> tuple[str, str]:
    """A lazy label in Chinese and in English."""
    with translation.override("zh-hans"):
        zh = str(label())
    with translation.override("en"):
        en = str(label())
    return zh, en


def anchor_audit() -> Checkpoint | None:
    """A fresh checkpoint of the audit chain's head: the e-mail keeps a copy outside the database
    and the host (docs/security.md). None, logged, when the checkpoint file cannot be written."""
    try:
        return audit_checkpoint()
    except OSError:
        logger.exception("audit checkpoint for the daily summary could not be written")
        return None


def render(summary: Summary) -> tuple[str, str]:
    """(subject, body)."""
    achievement = summary.totals.achievement
    shown = "—" if achievement is None else f"{achievement}%"
    subject = (
        f"每日报表 Daily summary {summary.day.isoformat()}: "
        f"达成率 achievement {shown}, 超时 breaches {summary.breach_count}"
    )
    body = render_to_string(
        "reports/email/daily_summary.txt",
        {
            "s": summary,
            "achievement": shown,
            "listed": LISTED,
            "audit": summary.audit,
            "audit_taken": _local(summary.audit.taken_at) if summary.audit else "",
        },
    )
    return subject, body


def managers():
    return (
        get_user_model()
        .objects.filter(groups__name=Role.MANAGER, is_active=True)
        .exclude(email="")
        .order_by("pk")
        .distinct()
    )


def send_daily_summary(*, day: date | None = None) -> int:
    """Queue the summary of ``day`` (default yesterday, local time) for every active manager with
    an address who has not had it queued yet; returns how many were queued now."""
    day = day or local_today() - timedelta(days=1)
    summary = on_replica(build, day)  # the figures from the read replica when there is one
    summary.audit = anchor_audit()
    subject, body = render(summary)
    queued = 0
    for user in managers():
        _notification, created = notify_staff(
            user=user,
            purpose=Purpose.DAILY_SUMMARY,
            subject_key=f"summary:{day.isoformat()}:user:{user.pk}",
            subject=subject,
            body=body,
        )
        queued += created
    logger.info("daily summary of %s queued for %d managers", day, queued)
    return queued
