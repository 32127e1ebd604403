from django.urls import path

from integrations.api.health import HealthView
from integrations.api.views import AlertViewSet, IntegrationLogViewSet, IntegrationViewSet
from vendhub_integrations.api.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("integrations", IntegrationViewSet, basename="integration")
router.register("integration-logs", IntegrationLogViewSet, basename="integration-log")
router.register("alerts", AlertViewSet, basename="alert")

urlpatterns = [path("health", HealthView.as_view(), name="health"), *router.urls]
