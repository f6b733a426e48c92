"""django-helpdesk mounted at the root, as its standalone project does (`bench/compare` only)."""

from django.urls import include, path

urlpatterns = [path("", include("helpdesk.urls", namespace="helpdesk"))]
