"""The staff screens of the satisfaction survey (`portal.staff.views`)."""

from django.urls import path

from portal.staff import views as followups

app_name = "portal_csat"

urlpatterns = [
    path("csat/follow-ups/", followups.FollowUpListView.as_view(), name="follow_ups"),
    path(
        "csat/follow-ups/<int:pk>/close/",
        followups.FollowUpCloseView.as_view(),
        name="follow_up_close",
    ),
]
