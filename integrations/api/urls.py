"""Routes of the integrations API: integrations, their logs, alerts and GET /api/health."""

from django.urls import path

from core.api.routers import OptionalSlashRouter
from integrations.api.health import HealthView
from integrations.api.views import AlertViewSet, IntegrationLogViewSet, IntegrationViewSet

router = OptionalSlashRouter()
router.register("integrations", IntegrationViewSet, basename="integration")
router.register("integration-logs", IntegrationLogViewSet, basename="integration-log")
router.register("alerts", AlertViewSet, basename="alert")

urlpatterns = [path("health", HealthView.as_view(), name="health"), *router.urls]
