"""The notifications' part of the case detail API (`settings.CASE_DETAIL_SECTIONS`)."""

from backoffice.api.fields import DateTimeField
from notifications.selectors import notifications_of_case


def notifications_section(case, context) -> list[dict]:
    """What the case detail lists: purpose, channel, status and when it was sent."""
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
            "delivery_status": n.delivery_status or None,
            "delivered_at": as_time(n.delivered_at) if n.delivered_at else None,
            "delivery_error": n.delivery_error,
        }
        for n in notifications_of_case(case)
    ]
