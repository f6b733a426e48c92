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
