from django.urls import path
from rest_framework.routers import SimpleRouter

from cases.api.views import CaseViewSet, RechargeOrderView

router = SimpleRouter(trailing_slash=True)
router.register("cases", CaseViewSet, basename="case")

urlpatterns = [
    path("recharge-orders/", RechargeOrderView.as_view(), name="recharge-orders"),
    *router.urls,
]
