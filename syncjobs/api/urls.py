"""Routes of the sync API: sync jobs, synced records, and ``POST integrations/<id>/sync``."""

from django.urls import re_path

from core.api.routers import UUID_PATTERN, OptionalSlashRouter
from syncjobs.api.views import IntegrationSyncView, SyncedRecordViewSet, SyncJobViewSet

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
