"""Fixtures of the sync engine tests: a local 1C OData server and an integration pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from core.testing.onec_server import CATALOGUE, PASSWORD, USERNAME, ODataServer, catalogue_item

if TYPE_CHECKING:
    from integrations.models import Integration


@pytest.fixture
def onec_server() -> Iterator[ODataServer]:
    with ODataServer() as server:
        server.entity_sets[CATALOGUE] = [catalogue_item(n) for n in range(1, 6)]
        yield server


@pytest.fixture
def onec_integration(db: None, onec_server: ODataServer) -> Integration:
    from integrations.tests.factories import IntegrationFactory

    return IntegrationFactory(
        code="onec",
        type="erp",
        provider="1c",
        api_endpoint=onec_server.root,
        api_key=USERNAME,
        api_secret=PASSWORD,
        config={
            "mapping": {"products": CATALOGUE},
            "page_size": 2,
            "timeout": 2000,
            "http_retries": 0,
        },
    )
