from django.db import models


class Ticket(models.Model):
    """One plain row per request: no foreign keys, no secondary index, no event."""

    external_id = models.CharField(max_length=32)
    subject = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.external_id}: {self.subject}"
