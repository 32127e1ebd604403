from django.urls import re_path

from syncjobs.api.views import IntegrationSyncView, SyncedRecordViewSet, SyncJobViewSet
from vendhub_integrations.api.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("sync-jobs", SyncJobViewSet, basename="sync-job")
router.register("synced-records", SyncedRecordViewSet, basename="synced-record")

urlpatterns = [
    re_path(
        r"^integrations/(?P<pk>[0-9a-fA-F-]{36})/sync/?$",
        IntegrationSyncView.as_view(),
        name="integration-sync",
    ),
    *router.urls,
]
