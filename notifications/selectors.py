from backoffice.cache import cached
from cases.choices import Language
from notifications.models import CannedSummary, Notification


def canned_summaries(case) -> list[CannedSummary]:
    """The standard customer summaries an agent may pick for the case: active, for its category or
    every category, in its customer's language (config, cached like the templates)."""
    rows = cached(
        "notifications.canned_summaries",
        lambda: list(CannedSummary.objects.filter(active=True).order_by("title", "id")),
    )
    language = case.customer.language or Language.ZH_HANS
    return [r for r in rows if r.language == language and r.category in ("", case.category)]


def notifications_of_case(case):
    return Notification.objects.filter(case=case).order_by("created_at", "id")


def notifications_section(case, context) -> list[dict]:
    """What the case detail lists: purpose, channel, status and when it was sent."""
    from backoffice.api.fields import DateTimeField

    as_time = DateTimeField().to_representation
    return [
        {
            "purpose": n.purpose,
            "channel": n.channel,
            "language": n.language,
            "status": n.status,
            "attempts": n.attempts,
            "not_before": as_time(n.not_before),
            "sent_at": as_time(n.sent_at) if n.sent_at else None,
            "last_error": n.last_error,
        }
        for n in notifications_of_case(case)
    ]
