from integrations.api.views import IntegrationLogViewSet, IntegrationViewSet
from vendhub_integrations.api.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("integrations", IntegrationViewSet, basename="integration")
router.register("integration-logs", IntegrationLogViewSet, basename="integration-log")

urlpatterns = router.urls
