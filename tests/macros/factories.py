"""Macros for the tests, written as an operations admin would (validated like the admin does)."""

from cases.models import Queue
from macros.models import Macro


def macro(name="已收到", *, queue: str | None = None, **fields) -> Macro:
    values = {
        "text_zh": "{customer_name}您好，您的投诉 {reference} 已受理，我们将在 {deadline} 前答复。",
        "text_en": "Dear {customer_name}, your complaint {reference} will be answered by {deadline}.",
        "queue": Queue.objects.get(code=queue) if queue else None,
    }
    values.update(fields)
    row = Macro(name=name, **values)
    row.full_clean()
    row.save()
    return row
