"""Turning an inbound HTTP request into what is stored: a bounded body, a payload, headers; and
``Delivery``, a request to the receive URL as the receive service takes it."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.http import HttpRequest

from integrations.jsontext import json_loads_bounded, json_storable

_READ_CHUNK = 64 * 1024
# Credentials of the request itself; everything else is kept for the record.
_UNSTORED_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})


_UNREAD = object()


class BodyTooLarge(Exception):
    """The body is over ``WEBHOOK_MAX_BODY_BYTES``."""


def max_body_bytes() -> int:
    return int(settings.WEBHOOK_MAX_BODY_BYTES)


def read_body(request: HttpRequest, *, limit: int | None = None) -> bytes:
    """The body, read in chunks and given up on as soon as it passes ``limit``: a declared
    ``Content-Length`` over the limit is refused before a byte is read, and a sender that lies
    about it (or streams) cannot make the hub hold more than ``limit`` + one chunk."""
    limit = max_body_bytes() if limit is None else limit
    declared = request.META.get("CONTENT_LENGTH")
    if declared:
        try:
            if int(declared) > limit:
                raise BodyTooLarge
        except ValueError:
            pass
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = request.read(_READ_CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _content_type(headers: Mapping[str, str]) -> str:
    return (headers.get("Content-Type") or "").split(";")[0].strip().lower()


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def parse_payload(body: bytes, headers: Mapping[str, str]) -> Any:
    """JSON and form-encoded bodies parsed; anything else kept as text under ``raw``.

    A JSON object or list sent with another (or no) content type still counts as JSON: senders
    often label JSON ``text/plain``, and the payload should not depend on that label. JSON is read
    strictly (no NaN or Infinity, which PostgreSQL's jsonb refuses), and NUL characters, which no
    PostgreSQL text can hold, become U+FFFD: the delivery is stored rather than lost to a 500.
    JSON nested deeper than ``MAX_JSON_DEPTH`` levels is kept as ``raw`` text too.
    """
    return json_storable(_parse(body, headers))


def _parse(body: bytes, headers: Mapping[str, str]) -> Any:
    if not body:
        return {}
    content_type = _content_type(headers)
    text = body.decode("utf-8", errors="replace")
    if content_type == "application/x-www-form-urlencoded":
        fields: dict[str, Any] = {}
        for key, value in parse_qsl(text, keep_blank_values=True):
            if key in fields:
                existing = fields[key]
                fields[key] = (
                    [*existing, value] if isinstance(existing, list) else [existing, value]
                )
            else:
                fields[key] = value
        return fields
    is_json_type = content_type == "application/json" or content_type.endswith("+json")
    try:
        parsed = json_loads_bounded(text, parse_float=_finite_float, parse_constant=_not_json)
    except ValueError:  # not JSON, or nested too deep to read safely (JSONTooDeep)
        return {"raw": text}
    # A body of just ``null`` would be no payload at all (the column holds a JSON value, never
    # NULL): it is kept as text like any other body that does not parse into one.
    if parsed is not None and (is_json_type or isinstance(parsed, (dict, list))):
        return parsed
    return {"raw": text}


def request_headers(request: HttpRequest) -> dict[str, str]:
    """The request's headers with their usual names, without Authorization and Cookie."""
    return {
        name: json_storable(value)
        for name, value in request.headers.items()
        if name.lower() not in _UNSTORED_HEADERS
    }


def scrub_values(headers: Mapping[str, str], secrets: list[str]) -> dict[str, str]:
    """Headers whose value holds one of the integration's secrets (a sender that puts its token
    in a header) are masked: stored rows are served by the API, which never shows a secret."""
    from integrations.redaction import REDACTED

    return {
        name: REDACTED if any(len(secret) >= 4 and secret in value for secret in secrets) else value
        for name, value in headers.items()
    }


class Delivery:
    """A POST to the receive URL as ``webhook_receive`` takes it: the endpoint for the log, the
    headers without credentials, and the body and its payload, each read once, when first
    asked for."""

    def __init__(self, request: HttpRequest, *, started: float) -> None:
        self.started = started
        self.endpoint = f"POST {request.path}"
        self.headers = request_headers(request)
        declared = request.META.get("CONTENT_LENGTH") or ""
        # Whether ``Content-Length`` declares the whole body, within the limit.
        self.whole_body_declared = declared.isdigit() and int(declared) <= max_body_bytes()
        self._request = request
        self._body: bytes | None = None
        self._payload: Any = _UNREAD

    def body(self) -> bytes:
        """The body, bounded as ``read_body`` bounds it (``BodyTooLarge``)."""
        if self._body is None:
            if self.whole_body_declared:
                # Read through Django, which keeps it: a gateway's protocol, should the
                # integration turn out to have one, reads the same body again.
                body = self._request.body
                if len(body) > max_body_bytes():
                    raise BodyTooLarge
                self._body = body
            else:
                self._body = read_body(self._request)
        return self._body

    def payload(self) -> Any:
        """The body parsed (``parse_payload``)."""
        if self._payload is _UNREAD:
            self._payload = parse_payload(self.body(), self.headers)
        return self._payload
