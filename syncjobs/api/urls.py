from syncjobs.api.views import SyncedRecordViewSet, SyncJobViewSet
from vendhub_integrations.api.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("sync-jobs", SyncJobViewSet, basename="sync-job")
router.register("synced-records", SyncedRecordViewSet, basename="synced-record")

urlpatterns = router.urls
