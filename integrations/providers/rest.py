"""Generic REST (``provider: "rest"``, and any ``type: "api"`` integration).

``config.mapping`` maps entity → path appended to ``api_endpoint`` with one slash between. An
answer is a JSON list, or an object with the list under ``config.results_field`` (default
``results``) and the next page's URL under ``config.next_field`` (default ``next``). Auth: the
``api_key`` as a Bearer token, unless ``config.auth`` is ``basic`` (api_key:api_secret),
``header:<Name>`` (the api_key in that header) or ``none``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

from integrations.http import HttpError, IntegrationHttpClient, basic_auth_header
from integrations.models import Integration
from integrations.providers.base import (
    ConnectionTestResult,
    Provider,
    SyncContext,
    SyncSourceError,
    check_answer,
    parse_json,
    probe_connection,
)


def auth_headers(integration: Integration) -> dict[str, str]:
    headers = {"Accept": "application/json"}
    scheme = integration.typed_config.auth.strip()
    api_key = integration.api_key
    if scheme.lower() == "none" or not api_key:
        return headers
    if scheme.lower() == "basic":
        headers["Authorization"] = basic_auth_header(api_key, integration.api_secret or "")
    elif scheme.lower().startswith("header:") and scheme[len("header:") :].strip():
        headers[scheme[len("header:") :].strip()] = api_key
    else:
        headers["Authorization"] = f"Bearer {api_key}"
    return headers


def join_url(base: str, path: str) -> str:
    return f"{base.rstrip('/')}/{path.lstrip('/')}" if path else base


class GenericRest(Provider):
    can_test = True
    default_key_field = "id"
    can_sync = True

    def test_connection(
        self, integration: Integration, client: IntegrationHttpClient
    ) -> ConnectionTestResult:
        if not integration.api_endpoint:
            return ConnectionTestResult(False, None, 0, "api_endpoint is not set")
        url = join_url(integration.api_endpoint, integration.typed_config.test_path)
        return probe_connection(
            client, url, headers=auth_headers(integration), refused="the credentials were refused"
        )

    def pages(self, context: SyncContext, *, entity: str, source: str) -> Iterator[list[Any]]:
        integration = context.integration
        if not integration.api_endpoint:
            raise SyncSourceError("api_endpoint is not set")
        config = integration.typed_config
        results_field, next_field = config.results_field, config.next_field
        headers = auth_headers(integration)
        url: str | None = join_url(integration.api_endpoint, source)
        seen: set[str] = set()
        while url:
            if url in seen:
                raise SyncSourceError(f"{entity}: the next-page links loop back to {url}")
            seen.add(url)
            try:
                result = context.client.request(
                    "GET", url, action="sync_page", headers=headers, should_stop=context.should_stop
                )
            except HttpError as error:
                raise SyncSourceError(f"{entity}: no answer from {url} ({error})") from None
            check_answer(result, what=entity)
            body = parse_json(result, what=entity)
            if isinstance(body, list):
                yield body
                return
            records = body.get(results_field) if isinstance(body, dict) else None
            if not isinstance(records, list):
                raise SyncSourceError(
                    f"{entity}: the answer is neither a list nor an object "
                    f'with a "{results_field}" list'
                )
            yield records
            next_url = body.get(next_field)
            url = urljoin(url, next_url) if isinstance(next_url, str) and next_url else None
