"""Property-based fuzzing (hypothesis) of the public receive URL, for every signature scheme:
random bodies, content types, charsets, headers, signatures and sizes. Whatever arrives:

- the answer is never a 5xx;
- a delivery without a valid signature is refused (401, or 413 when too large), kept only as an
  ``ignored``, rejected row, and never processed or retryable; one validly signed is accepted.

The Payme and Click endpoints are fuzzed in ``test_receive_fuzz_gateways``. Bounded and
deterministic for CI: ``derandomize=True`` and a fixed example count per test.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from core.testing.fuzz import FUZZ, json_values
from integrations.tests.factories import IntegrationFactory
from webhooks.models import Webhook, WebhookStatus
from webhooks.services import WebhookNotRetryable, webhook_process, webhook_retry

pytestmark = pytest.mark.django_db

# Small, so that bodies around the limit are cheap to make.
MAX_BODY = 4096

HMAC_SECRET = "fuzz-hmac-secret-1f0c"
STRIPE_SECRET = "whsec_fuzz_stripe_secret"
SW_SECRET = "whsec_" + base64.b64encode(b"fuzz-standard-webhooks-key-32by").decode()
SCHEME_SECRETS = {
    "hmac_sha256": HMAC_SECRET,
    "github": HMAC_SECRET,
    "stripe": STRIPE_SECRET,
    "standard_webhooks": SW_SECRET,
    "none": None,
}
SIGNATURE_HEADERS = [
    "X-Signature",
    "X-Hub-Signature-256",
    "X-GitHub-Delivery",
    "X-GitHub-Event",
    "Stripe-Signature",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "svix-id",
    "svix-timestamp",
    "svix-signature",
    "Content-Encoding",
    "Transfer-Encoding",
    "X-Request-ID",
]
CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=latin-1",
    "application/json; charset=utf-16",
    "application/json; charset=no-such-charset",
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=koi8-r",
    "text/plain; charset=utf-8",
    "application/octet-stream",
    "multipart/form-data; boundary=x",
    "",
]
# Header values as HTTP carries them: Latin-1, no control characters.
header_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=120,
)
JSON_VALUES = json_values(text=40, width=5, leaves=20)


@dataclass
class Delivery:
    body: bytes
    content_type: str
    headers: dict[str, str]
    signed: bool


@st.composite
def deliveries(draw: st.DrawFn) -> Delivery:
    kind = draw(st.sampled_from(["json", "event", "form", "text", "bytes", "sized"]))
    charset = draw(st.sampled_from(["utf-8", "latin-1", "utf-16", "cp1251"]))
    body: bytes
    if kind == "json":
        body = json.dumps(draw(JSON_VALUES)).encode(charset, errors="replace")
    elif kind == "event":
        event = {
            "id": draw(st.text(max_size=30)),
            "type": draw(st.text(max_size=30)),
            "data": draw(JSON_VALUES),
        }
        body = json.dumps(event, ensure_ascii=draw(st.booleans())).encode(charset, errors="replace")
    elif kind == "form":
        fields = draw(st.dictionaries(st.text(max_size=10), st.text(max_size=30), max_size=6))
        body = urlencode(fields).encode()
    elif kind == "text":
        body = draw(st.text(max_size=300)).encode(charset, errors="replace")
    elif kind == "bytes":
        body = draw(st.binary(max_size=600))
    else:
        body = b"x" * draw(st.integers(MAX_BODY - 3, MAX_BODY + 3))
    names = st.sampled_from(SIGNATURE_HEADERS) | st.from_regex(
        r"X-[A-Za-z0-9-]{1,16}", fullmatch=True
    )
    headers = draw(st.dictionaries(names, header_text, max_size=6))
    return Delivery(
        body=body,
        content_type=draw(st.sampled_from(CONTENT_TYPES)),
        headers=headers,
        # One in four is signed correctly, so the fuzz also shows the good path works.
        signed=draw(st.integers(0, 3)) == 0,
    )


def hmac_hex(key: bytes, message: bytes) -> str:
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def signature_headers(scheme: str, body: bytes) -> dict[str, str]:
    """Headers that sign ``body`` correctly with the scheme's secret."""
    now = int(time.time())
    if scheme == "hmac_sha256":
        return {"X-Signature": hmac_hex(HMAC_SECRET.encode(), body)}
    if scheme == "github":
        return {
            "X-Hub-Signature-256": "sha256=" + hmac_hex(HMAC_SECRET.encode(), body),
            "X-GitHub-Delivery": str(uuid.uuid4()),
            "X-GitHub-Event": "push",
        }
    if scheme == "stripe":
        digest = hmac_hex(STRIPE_SECRET.encode(), f"{now}.".encode() + body)
        return {"Stripe-Signature": f"t={now},v1={digest}"}
    if scheme == "standard_webhooks":
        message_id = f"msg_{uuid.uuid4().hex}"
        key = base64.b64decode(SW_SECRET.removeprefix("whsec_"))
        signed = f"{message_id}.{now}.".encode() + body
        signature = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        return {
            "webhook-id": message_id,
            "webhook-timestamp": str(now),
            "webhook-signature": f"v1,{signature}",
        }
    return {}


def post(client: Client, code: str, body: bytes, content_type: str, headers: dict[str, str]):
    return client.generic(
        "POST",
        f"/api/webhooks/receive/{code}",
        data=body,
        content_type=content_type,
        headers=headers,
    )


@pytest.mark.parametrize("scheme", sorted(SCHEME_SECRETS))
def test_the_receive_url_never_fails_and_never_takes_a_bad_signature(scheme, settings_override):
    integration = IntegrationFactory(
        code=f"fuzz-{scheme.replace('_', '-')}",
        provider="erp",
        webhook_secret=SCHEME_SECRETS[scheme],
        config={"signature_scheme": scheme},
    )
    client = Client()
    seen = {"accepted": 0, "refused": 0}

    @FUZZ
    @given(delivery=deliveries())
    def check(delivery: Delivery) -> None:
        headers = dict(delivery.headers)
        if delivery.signed:
            headers.update(signature_headers(scheme, delivery.body))
        before = set(Webhook.objects.values_list("pk", flat=True))
        response = post(client, integration.code, delivery.body, delivery.content_type, headers)
        assert response.status_code < 500, response.content[:300]
        new = list(Webhook.objects.exclude(pk__in=before))
        too_large = len(delivery.body) > MAX_BODY
        if too_large:
            assert response.status_code == 413
            assert new == []
        elif scheme == "none" or delivery.signed:
            assert response.status_code in (200, 202), response.content[:300]
            assert all(row.status == WebhookStatus.PENDING for row in new)
            assert all(row.signature_verified is (scheme != "none") for row in new)
            seen["accepted"] += 1
        else:
            assert response.status_code == 401, response.content[:300]
            assert response.json()["error"] == "invalid_signature"
            [row] = new
            assert (row.status, row.rejected, row.signature_verified) == (
                WebhookStatus.IGNORED,
                True,
                False,
            )
            # Never processed, never retryable.
            assert webhook_process(webhook_id=row.id) is None
            with pytest.raises(WebhookNotRetryable):
                webhook_retry(webhook=row)
            row.refresh_from_db()
            assert row.status == WebhookStatus.IGNORED and row.processed_at is None
            seen["refused"] += 1

    check()
    assert seen["accepted"] > 0
    if scheme != "none":
        assert seen["refused"] > 0
        unverified = Webhook.objects.filter(integration=integration, signature_verified=False)
        assert not unverified.exclude(status=WebhookStatus.IGNORED).exists()


@pytest.fixture
def settings_override(settings):
    settings.WEBHOOK_MAX_BODY_BYTES = MAX_BODY
