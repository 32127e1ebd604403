"""Django REST framework and drf-spectacular: the API's authentication, filters, pagination,
errors, parsers and renderers, and how its OpenAPI schema is described.
"""

from __future__ import annotations

from core.api.tags import TAG_DESCRIPTIONS

# --- REST framework ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.api.permissions.HasAPIKeyOrStaff"],
    "DEFAULT_FILTER_BACKENDS": [
        "core.api.filters.StrictFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "core.api.filters.SearchFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AppTaggedAutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    # DRF's JSON, form and multipart parsers; JSON through the bounded reader (deep nesting: 400).
    "DEFAULT_PARSER_CLASSES": [
        "integrations.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DATETIME_FORMAT": "iso-8601",
}


SPECTACULAR_SETTINGS = {
    "TITLE": "VendHub integration hub API",
    "DESCRIPTION": (
        "Integrations, inbound webhooks, sync jobs and integration logs of VendHub Manager. "
        "Authenticate with `Authorization: Api-Key <key>` (see `manage.py create_api_key`)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "Authorization"},
        }
    },
    "SECURITY": [{"ApiKeyAuth": []}],
    "ENUM_NAME_OVERRIDES": {},
    "TAGS": TAG_DESCRIPTIONS,
    # The API takes JSON (the contract's "JSON in and out"); the form parsers stay for the
    # browsable API but are not documented, so clients and fuzzers send what the schema types.
    "PARSER_WHITELIST": ["integrations.api.parsers.BoundedJSONParser"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.document_error_responses",
    ],
}
