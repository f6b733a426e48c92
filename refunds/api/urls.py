from rest_framework.routers import SimpleRouter

from refunds.api.views import RefundViewSet

router = SimpleRouter(trailing_slash=True)
router.register("refunds", RefundViewSet, basename="refund")

urlpatterns = router.urls
