from django.urls import path

from portal import views
from portal.views import workspace

app_name = "portal"

urlpatterns = [
    path("c/<str:token>/", views.StatusView.as_view(), name="status"),
    path("c/<str:token>/write/", views.WriteView.as_view(), name="write"),
    path("c/<str:token>/survey/", views.SurveyView.as_view(), name="survey"),
    path(
        "cases/<str:reference>/customer-links/",
        workspace.IssueLinkView.as_view(),
        name="link_issue",
    ),
    path(
        "cases/<str:reference>/customer-links/<int:pk>/revoke/",
        workspace.RevokeLinkView.as_view(),
        name="link_revoke",
    ),
]
