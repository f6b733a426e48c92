"""The privacy endpoints, mounted at `api/v1/` by `web/api_urls.py`."""

from django.urls import path

from privacy.api import CustomerRevealView

urlpatterns = [
    path(
        "customers/<str:external_id>/reveal/",
        CustomerRevealView.as_view(),
        name="customer-reveal",
    ),
]
