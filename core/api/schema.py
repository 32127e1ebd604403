"""The OpenAPI schema's error responses, documented once for every operation, and its tags (one
per app, ``AppTaggedAutoSchema``).

drf-spectacular documents what each view declares; the answers every DRF view can give besides
(400 for bad input or a bad filter, 403 without a valid key, 404 for an unknown id or a page past
the end) would otherwise be missing wherever a view forgot one, and a client generated from the
schema, or schemathesis, would meet undocumented statuses. This post-processing hook adds each
where it applies and the view did not document it already.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema

from core.api.tags import APP_TAGS

_METHODS = ("get", "post", "put", "patch", "delete")
_DETAIL = {"$ref": "#/components/schemas/ErrorDetail"}
_FIELDS = {"$ref": "#/components/schemas/FieldErrors"}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def document_error_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]`` entry (after the enum hook)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        "ErrorDetail",
        {
            "type": "object",
            "properties": {"detail": {"type": "string"}},
            "required": ["detail"],
            "description": "An error with a message (`detail`); some carry more keys.",
        },
    )
    schemas.setdefault(
        "FieldErrors",
        {
            "type": "object",
            "additionalProperties": True,
            "description": "Bad input: each key names a field (or `detail`), with its messages.",
        },
    )
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            parameters = operation.get("parameters", [])
            in_path = any(parameter.get("in") == "path" for parameter in parameters)
            in_query = any(parameter.get("in") == "query" for parameter in parameters)
            public = {} in (operation.get("security") or [])
            if (in_query or "requestBody" in operation) and "400" not in responses:
                responses["400"] = _json("Bad input; the body names each field in error.", _FIELDS)
            if not public and "403" not in responses:
                responses["403"] = _json(
                    "No API key, or one that is unknown, expired or revoked.", _DETAIL
                )
            if (in_path or in_query) and "404" not in responses:
                responses["404"] = _json(
                    "No such object (or a page past the end of a list).", _DETAIL
                )
    return result


class AppTaggedAutoSchema(AutoSchema):
    """drf-spectacular's schema, with each operation tagged by the app its view lives in (an
    ``extend_schema(tags=...)`` on a view still wins)."""

    def get_tags(self) -> list[str]:
        app = type(self.view).__module__.split(".", 1)[0]
        tag = APP_TAGS.get(app)
        return [tag] if tag else super().get_tags()
