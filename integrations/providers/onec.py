"""1C:Enterprise standard OData (``provider: "1c"``).

``api_endpoint`` is the OData root (``…/odata/standard.odata``). Entity sets come from
``config.mapping`` and are often Cyrillic (``Catalog_Номенклатура``): they are URL-encoded as
UTF-8, and so is the Basic auth user name. Pages are read with ``$top``/``$skip`` ordered by the
key, because 1C has no server-side paging cursor; ``$inlinecount`` is avoided on purpose (1C may
then ignore ``$top``). Change detection hashes the whole record, ``DataVersion`` included: 1C
changes it on every edit, so the hash catches those, and also edits of sources without one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

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

# Characters 1C allows in entity set paths beyond letters and digits (function calls on registers).
_PATH_SAFE = "/()'=,_"


def _root(integration: Integration) -> str:
    return (integration.api_endpoint or "").rstrip("/")


def _auth_headers(integration: Integration) -> dict[str, str]:
    headers = {"Accept": "application/json"}
    if integration.api_key:
        headers["Authorization"] = basic_auth_header(
            integration.api_key, integration.api_secret or ""
        )
    return headers


class OneCOData(Provider):
    can_test = True
    default_key_field = "Ref_Key"
    can_sync = True

    def test_connection(
        self, integration: Integration, client: IntegrationHttpClient
    ) -> ConnectionTestResult:
        if not integration.api_endpoint:
            return ConnectionTestResult(False, None, 0, "api_endpoint (the OData root) is not set")
        headers = {**_auth_headers(integration), "Accept": "application/xml"}
        return probe_connection(
            client,
            f"{_root(integration)}/$metadata",
            headers=headers,
            refused="the 1C user name or password was refused",
        )

    def pages(self, context: SyncContext, *, entity: str, source: str) -> Iterator[list[Any]]:
        integration = context.integration
        if not integration.api_endpoint:
            raise SyncSourceError("api_endpoint (the OData root) is not set")
        page_size = integration.typed_config.page_size
        key_field = self.key_field(integration)
        url = f"{_root(integration)}/{quote(source, safe=_PATH_SAFE)}"
        headers = _auth_headers(integration)
        what = f"{entity} ({source})"
        skip = 0
        previous_first_key: Any = None
        while True:
            # Written out by hand: requests would percent-encode the "$" of the option names.
            query = f"$format=json&$orderby={quote(key_field)}&$top={page_size}&$skip={skip}"
            try:
                result = context.client.request(
                    "GET",
                    f"{url}?{query}",
                    action="sync_page",
                    headers=headers,
                    should_stop=context.should_stop,
                )
            except HttpError as error:
                raise SyncSourceError(f"{what}: no answer from the 1C server ({error})") from None
            check_answer(result, what=what)
            body = parse_json(result, what=what)
            records = body.get("value") if isinstance(body, dict) else None
            if not isinstance(records, list):
                raise SyncSourceError(f'{what}: the answer has no "value" list')
            first = records[0] if records and isinstance(records[0], dict) else {}
            first_key = first.get(key_field)
            if skip and records and first_key is not None and first_key == previous_first_key:
                raise SyncSourceError(f"{what}: the server ignores $skip (the same page again)")
            previous_first_key = first_key
            yield records
            # A short page is the last one; a page longer than asked means $top was ignored
            # and the whole set came at once.
            if len(records) != page_size:
                return
            skip += len(records)

    def record_is_deleted(self, record: dict[str, Any]) -> bool:
        return record.get("DeletionMark") is True
