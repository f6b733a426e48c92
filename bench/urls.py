"""The product's URLs plus the baseline route (bench settings only)."""

from django.urls import path

from web import urls as product
from bench.baseline.views import TicketCreateView

handler404 = product.handler404

urlpatterns = [
    path("bench/baseline/tickets/", TicketCreateView.as_view(), name="bench-baseline"),
    *product.urlpatterns,
]
