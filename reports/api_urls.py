"""The report endpoints, mounted at `api/v1/reports/` by `backoffice/api/urls.py`."""

from django.urls import path

from reports.api import CsatReportView, RegulatoryReportView, RootCauseReportView, SlaReportView

urlpatterns = [
    path("sla/", SlaReportView.as_view(), name="report-sla"),
    path("root-causes/", RootCauseReportView.as_view(), name="report-root-causes"),
    path("regulatory/", RegulatoryReportView.as_view(), name="report-regulatory"),
    path("csat/", CsatReportView.as_view(), name="report-csat"),
]
