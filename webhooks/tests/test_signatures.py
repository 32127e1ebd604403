"""Signature schemes: the public vectors, the standardwebhooks package as a signer, tolerance edges
and several signatures per header. Which scheme an integration gets, and the previous secret
during a rotation, are in ``test_signature_choice``."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest
import time_machine
from standardwebhooks import Webhook as StandardWebhook

from integrations.config import IntegrationConfig
from webhooks.signatures import (
    InboundRequest,
    SignatureError,
)
from webhooks.signatures.schemes import (
    GithubScheme,
    HmacSha256Scheme,
    StandardWebhooksScheme,
    StripeScheme,
)

SW_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SW_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SW_TS = 1614265330
SW_BODY = b'{"test": 2432232314}'
SW_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

GITHUB_SECRET = "It's a Secret to Everybody"
GITHUB_BODY = b"Hello, World!"
GITHUB_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

STRIPE_SECRET = "whsec_stripe_test_secret"
STRIPE_TS = 1700000000
STRIPE_BODY = b'{"id": "evt_1", "type": "invoice.paid"}'


def stripe_v1(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def request(body: bytes, **headers: str) -> InboundRequest:
    return InboundRequest(body=body, headers=headers, payload={})


def at(timestamp: int, offset: int = 0):
    return time_machine.travel(datetime.fromtimestamp(timestamp + offset, tz=UTC), tick=False)


# --- Standard Webhooks ------------------------------------------------------------------------


def sw_request(signature: str = SW_SIGNATURE, prefix: str = "webhook") -> InboundRequest:
    return request(
        SW_BODY,
        **{
            f"{prefix}-id": SW_ID,
            f"{prefix}-timestamp": str(SW_TS),
            f"{prefix}-signature": signature,
        },
    )


def test_standard_webhooks_public_vector_verifies():
    with at(SW_TS):
        StandardWebhooksScheme().verify(
            sw_request(), secrets=[SW_SECRET], config=IntegrationConfig()
        )


def test_standard_webhooks_svix_headers_verify():
    with at(SW_TS):
        StandardWebhooksScheme().verify(
            sw_request(prefix="svix"), secrets=[SW_SECRET], config=IntegrationConfig()
        )


def test_standard_webhooks_unpadded_secret_verifies():
    with at(SW_TS):
        StandardWebhooksScheme().verify(
            sw_request(), secrets=[SW_SECRET.rstrip("=")], config=IntegrationConfig()
        )


def test_standard_webhooks_one_valid_v1_among_several_passes():
    header = f"v1a,AAAA v2,abcd v1,{base64.b64encode(b'x' * 32).decode()} {SW_SIGNATURE}"
    with at(SW_TS):
        StandardWebhooksScheme().verify(
            sw_request(header), secrets=[SW_SECRET], config=IntegrationConfig()
        )


def test_standard_webhooks_only_other_versions_fails():
    header = "v1a," + SW_SIGNATURE.split(",")[1]
    with at(SW_TS), pytest.raises(SignatureError, match="no v1"):
        StandardWebhooksScheme().verify(
            sw_request(header), secrets=[SW_SECRET], config=IntegrationConfig()
        )


def test_standard_webhooks_tampered_body_fails():
    tampered = request(
        b'{"test": 2432232315}',
        **{"webhook-id": SW_ID, "webhook-timestamp": str(SW_TS), "webhook-signature": SW_SIGNATURE},
    )
    with at(SW_TS), pytest.raises(SignatureError, match="matches"):
        StandardWebhooksScheme().verify(tampered, secrets=[SW_SECRET], config=IntegrationConfig())


@pytest.mark.parametrize(
    ("offset", "valid"), [(-300, True), (300, True), (-301, False), (301, False)]
)
def test_standard_webhooks_tolerance_edges_both_ways(offset, valid):
    with at(SW_TS, offset):
        if valid:
            StandardWebhooksScheme().verify(
                sw_request(), secrets=[SW_SECRET], config=IntegrationConfig()
            )
        else:
            with pytest.raises(SignatureError, match=r"too old|future"):
                StandardWebhooksScheme().verify(
                    sw_request(), secrets=[SW_SECRET], config=IntegrationConfig()
                )


def test_tolerance_comes_from_config():
    with at(SW_TS, 100):
        StandardWebhooksScheme().verify(
            sw_request(),
            secrets=[SW_SECRET],
            config=IntegrationConfig.read({"tolerance_seconds": 100}),
        )
        with pytest.raises(SignatureError):
            StandardWebhooksScheme().verify(
                sw_request(),
                secrets=[SW_SECRET],
                config=IntegrationConfig.read({"tolerance_seconds": 99}),
            )


def test_the_standardwebhooks_package_signs_what_the_hub_accepts():
    signer = StandardWebhook(SW_SECRET)
    now = datetime.now(tz=UTC)
    body = '{"type": "invoice.paid", "amount": 1500}'
    signature = signer.sign(msg_id="msg_live_1", timestamp=now, data=body)
    headers = {
        "webhook-id": "msg_live_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    StandardWebhooksScheme().verify(
        request(body.encode(), **headers), secrets=[SW_SECRET], config=IntegrationConfig()
    )
    with pytest.raises(SignatureError):
        StandardWebhooksScheme().verify(
            request(body.encode() + b" ", **headers),
            secrets=[SW_SECRET],
            config=IntegrationConfig(),
        )


# --- GitHub ----------------------------------------------------------------------------------


def test_github_public_vector_verifies():
    GithubScheme().verify(
        request(GITHUB_BODY, **{"X-Hub-Signature-256": GITHUB_SIGNATURE}),
        secrets=[GITHUB_SECRET],
        config=IntegrationConfig(),
    )


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        GITHUB_SIGNATURE.replace("sha256=", ""),  # the prefix is part of GitHub's format
        GITHUB_SIGNATURE[:-1] + "0",
    ],
)
def test_github_missing_or_wrong_signature_fails(header):
    headers = {"X-Hub-Signature-256": header} if header is not None else {}
    with pytest.raises(SignatureError):
        GithubScheme().verify(
            request(GITHUB_BODY, **headers), secrets=[GITHUB_SECRET], config=IntegrationConfig()
        )


def test_github_wrong_secret_fails():
    with pytest.raises(SignatureError):
        GithubScheme().verify(
            request(GITHUB_BODY, **{"X-Hub-Signature-256": GITHUB_SIGNATURE}),
            secrets=["another secret"],
            config=IntegrationConfig(),
        )


# --- Stripe ----------------------------------------------------------------------------------


def stripe_request(header: str) -> InboundRequest:
    return request(STRIPE_BODY, **{"Stripe-Signature": header})


def test_stripe_signature_verifies():
    header = f"t={STRIPE_TS},v1={stripe_v1(STRIPE_SECRET, STRIPE_TS, STRIPE_BODY)}"
    with at(STRIPE_TS):
        StripeScheme().verify(
            stripe_request(header), secrets=[STRIPE_SECRET], config=IntegrationConfig()
        )


def test_stripe_any_of_several_v1_passes_and_v0_is_ignored():
    good = stripe_v1(STRIPE_SECRET, STRIPE_TS, STRIPE_BODY)
    header = f"t={STRIPE_TS},v0={good},v1={'0' * 64},v1={good}"
    with at(STRIPE_TS):
        StripeScheme().verify(
            stripe_request(header), secrets=[STRIPE_SECRET], config=IntegrationConfig()
        )
        with pytest.raises(SignatureError):
            StripeScheme().verify(
                stripe_request(f"t={STRIPE_TS},v0={good}"),
                secrets=[STRIPE_SECRET],
                config=IntegrationConfig(),
            )


@pytest.mark.parametrize(
    ("offset", "valid"), [(-300, True), (300, True), (-301, False), (301, False)]
)
def test_stripe_tolerance_edges_both_ways(offset, valid):
    header = f"t={STRIPE_TS},v1={stripe_v1(STRIPE_SECRET, STRIPE_TS, STRIPE_BODY)}"
    with at(STRIPE_TS, offset):
        if valid:
            StripeScheme().verify(
                stripe_request(header), secrets=[STRIPE_SECRET], config=IntegrationConfig()
            )
        else:
            with pytest.raises(SignatureError, match=r"too old|future"):
                StripeScheme().verify(
                    stripe_request(header), secrets=[STRIPE_SECRET], config=IntegrationConfig()
                )


def test_stripe_signed_timestamp_cannot_be_swapped():
    signature = stripe_v1(STRIPE_SECRET, STRIPE_TS, STRIPE_BODY)
    with at(STRIPE_TS + 1000), pytest.raises(SignatureError, match="matches"):
        StripeScheme().verify(
            stripe_request(f"t={STRIPE_TS + 1000},v1={signature}"),
            secrets=[STRIPE_SECRET],
            config=IntegrationConfig(),
        )


# --- hmac_sha256 -----------------------------------------------------------------------------


def test_hmac_sha256_plain_prefixed_and_custom_header():
    body = b'{"id": 1}'
    digest = hmac.new(b"k3y-value", body, hashlib.sha256).hexdigest()
    scheme = HmacSha256Scheme()
    scheme.verify(
        request(body, **{"X-Signature": digest}), secrets=["k3y-value"], config=IntegrationConfig()
    )
    scheme.verify(
        request(body, **{"x-signature": "sha256=" + digest.upper()}),
        secrets=["k3y-value"],
        config=IntegrationConfig(),
    )
    scheme.verify(
        request(body, **{"X-Erp-Sign": f"{'0' * 64}, {digest}"}),
        secrets=["k3y-value"],
        config=IntegrationConfig.read({"signature_header": "X-Erp-Sign"}),
    )
    with pytest.raises(SignatureError, match="missing X-Erp-Sign"):
        scheme.verify(
            request(body, **{"X-Signature": digest}),
            secrets=["k3y-value"],
            config=IntegrationConfig.read({"signature_header": "X-Erp-Sign"}),
        )
