"""The manager report pages, mounted at `/reports/` by `web/urls.py`."""

from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.SlaPage.as_view(), name="sla"),
    path("breaches/", views.BreachesPage.as_view(), name="breaches"),
    path("ageing/", views.AgeingPage.as_view(), name="ageing"),
    path("root-causes/", views.RootCausesPage.as_view(), name="root_causes"),
    path("refunds/", views.RefundsPage.as_view(), name="refunds"),
    path("deadlines/", views.DeadlinesPage.as_view(), name="deadlines"),
    path("regulatory/", views.RegulatoryPage.as_view(), name="regulatory"),
    path("csat/", views.CsatPage.as_view(), name="csat"),
]
