"""URL configuration: the admin, the REST API under /api/, its schema and Swagger UI, and the
operations endpoints /healthz and /metrics."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from integrations.api.health import HealthzView
from operations.views import MetricsView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", HealthzView.as_view(), name="healthz"),
    path("metrics", MetricsView.as_view(), name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/", include("integrations.api.urls")),
    path("api/", include("webhooks.api.urls")),
    path("api/", include("syncjobs.api.urls")),
    path("api/", include("payments.api.urls")),
]

handler404 = "core.api.errors.not_found"
handler500 = "core.api.errors.server_error"

admin.site.site_header = "VendHub integration hub"
admin.site.site_title = "VendHub integrations"
admin.site.index_title = "Integrations, webhooks and sync jobs"
# There is no site to view: the header links to the API docs and the health check instead
# (templates/admin/base_site.html).
admin.site.site_url = None
# The list screens need the width: the lists have many columns and filters on the right.
admin.site.enable_nav_sidebar = False
