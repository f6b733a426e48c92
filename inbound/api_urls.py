from django.urls import path

from inbound.api import SmsEventsView

urlpatterns = [
    path("sms/events/", SmsEventsView.as_view(), name="api-sms-events"),
]
