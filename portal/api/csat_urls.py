"""The follow-up API (`portal.api.follow_ups`), mounted at `/api/v1/` by `web/api_urls.py`."""

from rest_framework.routers import SimpleRouter

from portal.api.follow_ups import FollowUpViewSet

router = SimpleRouter()
router.register("csat/follow-ups", FollowUpViewSet, basename="csat-follow-up")
urlpatterns = router.urls
