from vendhub_integrations.api.routers import OptionalSlashRouter
from webhooks.api.views import WebhookViewSet

router = OptionalSlashRouter()
router.register("webhooks", WebhookViewSet, basename="webhook")

urlpatterns = router.urls
