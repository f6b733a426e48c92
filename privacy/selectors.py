"""Reads of the privacy records."""

from django.db.models import QuerySet

from privacy.models import AccessRecord, ExportRecord


def customer_access_records(customer_id: int) -> QuerySet[AccessRecord]:
    """ "Who looked at my data": a customer's access records, newest first, in one query (the
    user and the case joined)."""
    return (
        AccessRecord.objects.filter(customer_id=customer_id)
        .select_related("who", "case")
        .order_by("-at", "-id")
    )


def export_records() -> QuerySet[ExportRecord]:
    return ExportRecord.objects.select_related("who").order_by("-at", "-id")
