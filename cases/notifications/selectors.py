from cases.notifications.models import Notification


def notifications_of_case(case):
    return Notification.objects.filter(case=case).order_by("created_at", "id")


def notifications_section(case, context) -> list[dict]:
    """What the case detail lists: purpose, channel, status and when it was sent."""
    from rest_framework.fields import DateTimeField

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
