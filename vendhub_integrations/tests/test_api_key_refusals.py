"""A refused API key is told why: a key that does not exist (or does not verify) is invalid, a
revoked one revoked, an expired one expired; "credentials were not provided" is kept for a request
that sent no key at all."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

pytestmark = pytest.mark.django_db

DENIED = (401, 403)
NOT_PROVIDED = "not provided"


def refusal(header: str | None, path: str = "/api/integrations") -> str:
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(path)
    assert response.status_code in DENIED, response.content
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    return detail.lower()


@pytest.mark.parametrize(
    "key",
    ["nope.nope", "nope", "", "abcdefgh.0123456789abcdef0123456789abcdef"],
    ids=["dotted", "no-dot", "empty", "well-formed-unknown"],
)
def test_unknown_key_is_invalid(key: str) -> None:
    detail = refusal(f"Api-Key {key}")

    assert "invalid" in detail
    assert NOT_PROVIDED not in detail


def test_tampered_key_is_invalid_not_revoked_or_expired(api_key: str) -> None:
    APIKey.objects.update(revoked=True, expiry_date=timezone.now() - timedelta(days=1))
    prefix, secret = api_key.split(".", 1)
    tampered = f"{prefix}.{secret[:-1]}{'A' if secret[-1] != 'A' else 'B'}"

    detail = refusal(f"Api-Key {tampered}")

    # Without the whole key, nothing is told about the key that has this prefix.
    assert "invalid" in detail
    assert "revoked" not in detail and "expired" not in detail


def test_revoked_key_is_told_so(api_key: str) -> None:
    APIKey.objects.update(revoked=True)

    detail = refusal(f"Api-Key {api_key}")

    assert "revoked" in detail


def test_expired_key_is_told_so(api_key: str) -> None:
    APIKey.objects.update(expiry_date=timezone.now() - timedelta(minutes=1))

    detail = refusal(f"Api-Key {api_key}")

    assert "expired" in detail


def test_metrics_tells_the_same(api_key: str) -> None:
    APIKey.objects.update(revoked=True)

    assert "revoked" in refusal(f"Api-Key {api_key}", "/metrics")
    assert "invalid" in refusal("Api-Key nope.nope", "/metrics")


@pytest.mark.parametrize("header", [None, "Bearer something"], ids=["none", "other-scheme"])
def test_no_key_is_told_none_was_sent(header: str | None) -> None:
    detail = refusal(header)

    assert "invalid" not in detail
    assert NOT_PROVIDED in detail or "api-key" in detail


def test_a_staff_session_still_works_with_a_stale_key_header(staff_client: APIClient) -> None:
    staff_client.credentials(HTTP_AUTHORIZATION="Api-Key nope.nope")

    assert staff_client.get("/api/integrations").status_code == 200
