"""The OpenAPI schema's tags: one per app (read by the settings, so no DRF import here)."""

from __future__ import annotations

# One Swagger UI section per app (drf-spectacular's default takes the first path segment, "api",
# for every endpoint): the app that owns the view, named as operators know it.
APP_TAGS = {
    "integrations": "integrations",
    "webhooks": "webhooks",
    "syncjobs": "sync jobs",
    "payments": "payments",
    "operations": "operations",
}
TAG_DESCRIPTIONS = [
    {"name": "integrations", "description": "Integrations, their connection tests and logs."},
    {"name": "webhooks", "description": "Receiving webhooks, listing and retrying them."},
    {"name": "sync jobs", "description": "Sync jobs and the records they stored."},
    {"name": "payments", "description": "Invoices and gateway transactions (Payme, Click)."},
    {"name": "operations", "description": "Health and metrics."},
]
