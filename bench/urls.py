"""The product's URLs plus the baseline route (bench settings only)."""

from django.urls import path

from bench.baseline.views import TicketCreateView
from web import urls as product

handler404 = product.handler404

urlpatterns = [
    path("bench/baseline/tickets/", TicketCreateView.as_view(), name="bench-baseline"),
    *product.urlpatterns,
]
