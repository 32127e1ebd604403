from syncjobs.api.views import SyncJobViewSet
from vendhub_integrations.api.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("sync-jobs", SyncJobViewSet, basename="sync-job")

urlpatterns = router.urls
