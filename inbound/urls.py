"""The staff screens of the inbound app."""

from django.urls import path

from inbound import views

app_name = "inbound"

urlpatterns = [
    path("inbound/held/", views.HeldListView.as_view(), name="held_list"),
    path("inbound/held/<int:pk>/attach/", views.HeldAttachView.as_view(), name="held_attach"),
    path("inbound/held/<int:pk>/discard/", views.HeldDiscardView.as_view(), name="held_discard"),
]
