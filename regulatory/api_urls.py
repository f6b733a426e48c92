from django.urls import path

from regulatory.api import RegulatoryCodesView

urlpatterns = [
    path(
        "cases/<str:reference>/regulatory-codes/",
        RegulatoryCodesView.as_view(),
        name="case-regulatory-codes",
    ),
]
