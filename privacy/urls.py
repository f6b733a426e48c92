"""The privacy screens: the workspace's reveal action."""

from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("cases/export/", views.CaseExportView.as_view(), name="case_export"),
    path("cases/<str:reference>/reveal/", views.RevealView.as_view(), name="case_reveal"),
]
