from django.urls import path
from rest_framework.routers import SimpleRouter

from casework.api.bulk import CaseBulkIntakeView
from casework.api.views import CaseViewSet, RechargeOrderView, WordSearchView
from risk.api import FlaggedIpViewSet

router = SimpleRouter(trailing_slash=True)
router.register("cases", CaseViewSet, basename="case")
router.register("risk/flagged-ips", FlaggedIpViewSet, basename="flagged-ip")

urlpatterns = [
    path("cases/bulk/", CaseBulkIntakeView.as_view(), name="cases-bulk"),
    path("recharge-orders/", RechargeOrderView.as_view(), name="recharge-orders"),
    path("search/", WordSearchView.as_view(), name="search"),
    *router.urls,
]
