"""Reads of the `inbound` app."""

from django.db.models import QuerySet

from inbound.models import InboundMessage, InboundStatus


def held_messages() -> QuerySet[InboundMessage]:
    """Held mail, oldest first (the longest waiting on top), with its case for the link."""
    return (
        InboundMessage.objects.filter(status=InboundStatus.HELD)
        .select_related("case")
        .defer("raw")
        .order_by("received_at", "id")
    )
