from django.urls import path

from portal import views

app_name = "portal"

urlpatterns = [
    path("c/<str:token>/", views.StatusView.as_view(), name="status"),
]
