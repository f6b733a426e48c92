"""The report endpoints, mounted at `api/v1/reports/` by `backoffice/api/urls.py`."""

from django.urls import path

from reports.api import CsatReportView, RootCauseReportView, SlaReportView

urlpatterns = [
    path("sla/", SlaReportView.as_view(), name="report-sla"),
    path("root-causes/", RootCauseReportView.as_view(), name="report-root-causes"),
    path("csat/", CsatReportView.as_view(), name="report-csat"),
]
