from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from backoffice.api.views import TokenView

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("macros.api_urls")),
    path("", include("casework.api.urls")),
    path("", include("refunds.api.urls")),
    path("", include("regulatory.api_urls")),
    path("", include("inbound.api_urls")),
    path("reports/", include("reports.api_urls")),
    path("", include("privacy.api_urls")),
    path("", include("portal.api.csat_urls")),
]
