from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from backoffice import health
from backoffice.auth_views import LoginView
from backoffice.observability.metrics import metrics
from web import views

handler404 = "web.views.page_not_found"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("healthz/live", health.live, name="healthz-live"),
    path("healthz/ready", health.ready, name="healthz-ready"),
    path("metrics", metrics, name="metrics"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("web.api_urls")),
    path("reports/", include("reports.urls")),
    path("", include("portal.urls")),
    path("", include("privacy.urls")),
    path("", include("casework.urls")),
    path("", include("refunds.urls")),
    path("", include("regulatory.urls")),
    path("", include("desk.urls")),
    path("", include("inbound.urls")),
    path("", include("portal.staff.urls")),
    path("", views.home, name="home"),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
