"""The desk's screens: the inbox and the saved case-list views."""

from django.urls import path

from desk import views

app_name = "desk"

urlpatterns = [
    path("desk/inbox/", views.InboxView.as_view(), name="inbox"),
    path("desk/inbox/badge/", views.BadgeView.as_view(), name="badge"),
    path("desk/inbox/read-all/", views.ReadAllView.as_view(), name="read_all"),
    path("desk/inbox/<int:pk>/open/", views.NotificationOpenView.as_view(), name="open"),
    path("desk/inbox/<int:pk>/read/", views.NotificationReadView.as_view(), name="read"),
    path("desk/views/", views.SavedViewListView.as_view(), name="views"),
    path("desk/views/<int:pk>/", views.SavedViewOpenView.as_view(), name="view_open"),
    path("desk/views/<int:pk>/share/", views.SavedViewShareView.as_view(), name="view_share"),
    path("desk/views/<int:pk>/delete/", views.SavedViewDeleteView.as_view(), name="view_delete"),
]
