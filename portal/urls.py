from django.urls import path

from portal import views

app_name = "portal"

urlpatterns = [
    path("c/<str:token>/", views.StatusView.as_view(), name="status"),
    path("c/<str:token>/write/", views.WriteView.as_view(), name="write"),
    path("c/<str:token>/survey/", views.SurveyView.as_view(), name="survey"),
]
