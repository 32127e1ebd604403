"""1C:Enterprise standard OData (``provider: "1c"``).

``api_endpoint`` is the OData root (``…/odata/standard.odata``). Entity sets come from
``config.mapping`` and are often Cyrillic (``Catalog_Номенклатура``): they are URL-encoded as
UTF-8, and so is the Basic auth user name. Pages are read with ``$top``/``$skip`` ordered by the
key, because 1C has no server-side paging cursor; ``$inlinecount`` is avoided on purpose (1C may
then ignore ``$top``). Change detection hashes the whole record, ``DataVersion`` included: 1C
changes it on every edit, so the hash catches those, and also edits of sources without one.

A re-sync (the entity has stored records) lists each page first by key, ``DataVersion`` and
``DeletionMark`` alone (``$select``, a ``VersionListing``): the engine reads the page whole
(``read_page``) only when a listed record is not stored so, and stores it as on a first run. A
server that ignores ``$select`` (more than selected comes back: that page is read again without
it) or refuses it (a 4xx), pages that keep
differing (the engine sets ``whole_pages``), or ``config.read_versions_first: false`` mean whole
pages from there on; records without ``DataVersion`` (registers) make their page read whole.
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
    VersionEntry,
    VersionListing,
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


# What a version listing asks for besides the key; 1C changes DataVersion on every edit.
VERSION_FIELD = "DataVersion"
_VERSION_FIELDS = (VERSION_FIELD, "DeletionMark")
_VERSION_SELECT = ",".join(_VERSION_FIELDS)
Page = list[Any] | VersionListing


def _selected_only(records: list[Any], key_field: str) -> bool:
    """The listing holds only what was selected (OData annotations such as ``odata.etag`` aside):
    a server that ignores ``$select`` sends whole records instead."""
    allowed = frozenset((key_field, *_VERSION_FIELDS))
    for record in records:
        if not isinstance(record, dict):
            return False
        # The common case in one set comparison; annotations looked at only when present.
        if not record.keys() <= allowed and not all(
            name in allowed or "odata." in name or "@" in name for name in record
        ):
            return False
    return True


class _PageReader:
    """GETs one page of an entity set: ``$top``/``$skip`` in key order, optionally ``$select``."""

    def __init__(
        self, provider: OneCOData, context: SyncContext, *, entity: str, source: str
    ) -> None:
        integration = context.integration
        self.context = context
        self.page_size = integration.typed_config.page_size
        self.key_field = provider.key_field(integration)
        self.url = f"{_root(integration)}/{quote(source, safe=_PATH_SAFE)}"
        self.headers = _auth_headers(integration)
        self.what = f"{entity} ({source})"
        self.previous: tuple[int, Any] = (0, None)  # (skip, first key) of the last page read

    def get(self, skip: int, *, select: str | None = None) -> list[Any] | None:
        """The page's records. With ``select``: None when the server refuses the option (a 4xx
        other than the credentials'), so the caller reads whole pages instead."""
        what = self.what
        # Written out by hand: requests would percent-encode the "$" of the option names.
        query = f"$format=json&$orderby={quote(self.key_field)}&$top={self.page_size}&$skip={skip}"
        if select is not None:
            query += f"&$select={quote(self.key_field)},{select}"
        try:
            result = self.context.client.request(
                "GET",
                f"{self.url}?{query}",
                action="sync_page",
                headers=self.headers,
                should_stop=self.context.should_stop,
            )
        except HttpError as error:
            raise SyncSourceError(f"{what}: no answer from the 1C server ({error})") from None
        refused = 400 <= result.status_code < 500 and result.status_code not in (401, 403, 429)
        if select is not None and refused:
            return None
        check_answer(result, what=what)
        body = parse_json(result, what=what)
        records = body.get("value") if isinstance(body, dict) else None
        if not isinstance(records, list):
            raise SyncSourceError(f'{what}: the answer has no "value" list')
        first = records[0] if records and isinstance(records[0], dict) else {}
        first_key = first.get(self.key_field)
        previous_skip, previous_first_key = self.previous
        same_page = first_key is not None and first_key == previous_first_key
        if skip != previous_skip and records and same_page:
            raise SyncSourceError(f"{what}: the server ignores $skip (the same page again)")
        self.previous = (skip, first_key)
        return records


class OneCOData(Provider):
    can_test = True
    default_key_field = "Ref_Key"
    can_sync = True
    version_field = VERSION_FIELD

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

    def pages(self, context: SyncContext, *, entity: str, source: str) -> Iterator[Page]:
        integration = context.integration
        if not integration.api_endpoint:
            raise SyncSourceError("api_endpoint (the OData root) is not set")
        reader = _PageReader(self, context, entity=entity, source=source)
        # Versions first only on a re-sync (the engine asks for it), when not turned off.
        listing = context.list_versions and integration.typed_config.read_versions_first
        skip = 0
        while True:
            page: Page | None = None
            if listing and not context.whole_pages.is_set():
                listed = reader.get(skip, select=_VERSION_SELECT)
                if listed is None:  # the server refused $select: whole pages from here on
                    listing = False
                elif _selected_only(listed, reader.key_field):
                    entries = self._version_entries(integration, listed, reader.key_field)
                    page = VersionListing(skip, len(listed), entries)
                else:
                    # More than was selected came back (a server that ignores $select), or
                    # something not a record: the page is read again whole, never stored from
                    # a listing, and whole pages follow.
                    listing = False
            if page is None:
                page = reader.get(skip)
                assert page is not None
            yield page
            # A short page is the last one; a page longer than asked means $top was ignored
            # and the whole set came at once.
            count = page.count if isinstance(page, VersionListing) else len(page)
            if count != reader.page_size:
                return
            skip += count

    def read_page(self, context: SyncContext, *, entity: str, source: str, skip: int) -> list[Any]:
        records = _PageReader(self, context, entity=entity, source=source).get(skip)
        assert records is not None
        return records

    def _version_entries(
        self, integration: Integration, listed: list[Any], key_field: str
    ) -> list[VersionEntry] | None:
        """(key, DataVersion, deletion mark) of each listed record; None if one lacks either."""
        entries: list[VersionEntry] = []
        record_key = self.record_key
        for record in listed:
            if not isinstance(record, dict):
                return None
            key = record.get(key_field)
            if type(key) is not str or not key.strip():  # a GUID string, as 1C sends: as is
                key = record_key(integration, record, key_field=key_field)
            version = record.get(VERSION_FIELD)
            if key is None or not isinstance(version, str):
                return None
            entries.append((key, version, self.record_is_deleted(record)))
        return entries

    def record_is_deleted(self, record: dict[str, Any]) -> bool:
        return record.get("DeletionMark") is True
