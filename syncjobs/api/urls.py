from django.urls import re_path

from syncjobs.api.views import IntegrationSyncView, SyncedRecordViewSet, SyncJobViewSet
from vendhub_integrations.api.routers import UUID_PATTERN, OptionalSlashRouter

router = OptionalSlashRouter()
router.register("sync-jobs", SyncJobViewSet, basename="sync-job")
router.register("synced-records", SyncedRecordViewSet, basename="synced-record")

urlpatterns = [
    re_path(
        rf"^integrations/(?P<pk>{UUID_PATTERN})/sync/?$",
        IntegrationSyncView.as_view(),
        name="integration-sync",
    ),
    *router.urls,
]
