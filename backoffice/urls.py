from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from backoffice import health, views
from backoffice.auth_views import LoginView

handler404 = "backoffice.views.page_not_found"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("backoffice.api.urls")),
    path("reports/", include("cases.reports.urls")),
    path("", include("cases.urls")),
    path("", include("refunds.urls")),
    path("", views.home, name="home"),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
