"""Helpers the webhook tests share: the test secret, the receive URL, a signed POST."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.test import Client

SECRET = "s3cr3t-webhook-key-for-tests"


def receive_url(code: str) -> str:
    return f"/api/webhooks/receive/{code}"


def hmac_hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_signed(
    client: Client, code: str, payload: Any, *, secret: str = SECRET, **headers: str
) -> Any:
    """POST ``payload`` as JSON with an ``X-Signature`` (the hmac_sha256 scheme)."""
    body = json.dumps(payload).encode()
    return client.post(
        receive_url(code),
        data=body,
        content_type="application/json",
        headers={"X-Signature": hmac_hex(secret, body), **headers},
    )
