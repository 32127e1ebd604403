"""The generic REST provider and the shared HTTP client, against a local JSON server: pagination
by results/next, plain lists, each auth scheme, connection tests, retries and redaction."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from integrations.http import IntegrationHttpClient
from integrations.models import Integration, IntegrationLog
from integrations.providers import provider_for
from integrations.services.connection import integration_test_connection
from integrations.tests.factories import IntegrationFactory
from syncjobs.engine import sync_job_execute
from syncjobs.models import SyncedRecord, SyncJob
from syncjobs.services import sync_job_create

pytestmark = pytest.mark.django_db

API_KEY = "rest-key-0123456789"


class RestServer:
    """Serves ``routes`` (path with query → (status, body, headers)) and records requests."""

    def __init__(self) -> None:
        self.routes: dict[str, Any] = {}
        self.seen: list[dict[str, Any]] = []
        self.queued_failures: list[tuple[int, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                server.seen.append({"path": self.path, "headers": dict(self.headers)})
                if server.queued_failures:
                    status, headers = server.queued_failures.pop(0)
                    self._send(status, {"error": "busy"}, headers)
                    return
                route = server.routes.get(self.path)
                if route is None:
                    self._send(404, {"detail": "not found"}, {})
                    return
                self._send(200, route, {})

            def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"


@pytest.fixture
def rest_server() -> Iterator[RestServer]:
    server = RestServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture
def rest_integration(rest_server: RestServer) -> Integration:
    return IntegrationFactory(
        provider="rest",
        api_endpoint=f"{rest_server.url}/api/",
        api_key=API_KEY,
        api_secret="rest-secret-9876543210",
        config={
            "mapping": {"products": "/products", "orders": "orders"},
            "http_retries": 2,
            "timeout": 2000,
        },
    )


def run(integration: Integration, job_type: str = "manual_sync") -> SyncJob:
    job = sync_job_create(integration=integration, job_type=job_type, enqueue=False)
    result = sync_job_execute(job_id=job.pk)
    assert result is not None
    return result


def test_results_and_next_pages_and_plain_lists_are_synced(
    rest_server: RestServer, rest_integration: Integration
) -> None:
    rest_server.routes = {
        "/api/products": {"results": [{"id": 1, "n": "a"}, {"id": 2}], "next": "?page=2"},
        "/api/products?page=2": {"results": [{"id": 3}, {"name": "no id"}], "next": None},
        "/api/orders": [{"id": "o-1"}],
    }

    job = run(rest_integration)

    assert job.status == "completed", job.error_message
    assert job.metadata["entities"]["products"] == {
        "processed": 4,
        "created": 3,
        "updated": 0,
        "failed": 1,
    }
    assert job.metadata["errors"][0]["error"] == "The record has no id."
    assert set(SyncedRecord.objects.values_list("external_id", flat=True)) == {"1", "2", "3", "o-1"}
    assert [r["path"] for r in rest_server.seen] == [
        "/api/products",
        "/api/products?page=2",
        "/api/orders",
    ]
    assert rest_server.seen[0]["headers"]["Authorization"] == f"Bearer {API_KEY}"


def test_custom_fields_and_key(rest_server: RestServer, rest_integration: Integration) -> None:
    rest_integration.config.update(
        {"results_field": "items", "next_field": "links", "key_field": "sku"}
    )
    rest_integration.save()
    rest_server.routes = {
        "/api/products": {"items": [{"sku": "A"}], "links": f"{rest_server.url}/api/p2"},
        "/api/p2": {"items": [{"sku": "B"}]},
        "/api/orders": {"items": []},
    }
    job = run(rest_integration)
    assert job.status == "completed" and job.records_created == 2


@pytest.mark.parametrize(
    ("auth", "header", "expected"),
    [
        ("basic", "Authorization", "Basic " + base64.b64encode(
            f"{API_KEY}:rest-secret-9876543210".encode()).decode()),
        ("header:X-Api-Key", "X-Api-Key", API_KEY),
    ],
)  # fmt: skip
def test_auth_schemes(
    rest_server: RestServer, rest_integration: Integration, auth: str, header: str, expected: str
) -> None:
    rest_integration.config["auth"] = auth
    rest_integration.save()
    rest_server.routes = {"/api/products": [], "/api/orders": []}

    run(rest_integration)

    assert rest_server.seen[0]["headers"][header] == expected
    logged = str(list(IntegrationLog.objects.values("request_data", "endpoint")))
    assert API_KEY not in logged and "rest-secret-9876543210" not in logged


def test_a_next_link_pointing_back_fails_the_job_instead_of_looping(
    rest_server: RestServer, rest_integration: Integration
) -> None:
    rest_server.routes = {"/api/products": {"results": [{"id": 1}], "next": "/api/products"}}
    job = run(rest_integration, "sync_products")
    assert job.status == "failed" and "loop" in (job.error_message or "")
    assert job.records_created == 1


def test_connection_test_uses_test_path(
    rest_server: RestServer, rest_integration: Integration
) -> None:
    rest_integration.config["test_path"] = "health"
    rest_integration.save()
    rest_server.routes = {"/api/health": {"ok": True}}

    result = integration_test_connection(integration=rest_integration)

    assert result.success is True and result.status_code == 200
    assert rest_server.seen[-1]["path"] == "/api/health"
    failing = integration_test_connection(
        integration=IntegrationFactory(type="api", provider="acme", api_endpoint=rest_server.url)
    )
    assert failing.success is False and failing.status_code == 404


def test_retry_after_is_honoured_and_each_attempt_is_logged(
    rest_server: RestServer, rest_integration: Integration
) -> None:
    rest_server.queued_failures = [(429, {"Retry-After": "1"}), (502, {})]
    rest_server.routes = {"/api/products": []}
    client = IntegrationHttpClient(rest_integration, backoff_base=0.05)

    started = time.monotonic()
    result = client.request("GET", f"{rest_server.url}/api/products", action="sync_page")

    assert result.status_code == 200 and result.attempts == 3
    assert time.monotonic() - started >= 1.0
    assert list(
        IntegrationLog.objects.order_by("created_at").values_list("status_code", flat=True)
    ) == [429, 502, 200]


def test_a_stop_request_cuts_a_long_retry_after_short(
    rest_server: RestServer, rest_integration: Integration
) -> None:
    rest_server.queued_failures = [(503, {"Retry-After": "30"})]
    client = IntegrationHttpClient(rest_integration)
    started = time.monotonic()
    stop_after = started + 0.6

    result = client.request(
        "GET",
        f"{rest_server.url}/api/products",
        action="sync_page",
        should_stop=lambda: time.monotonic() > stop_after,
    )

    assert result.status_code == 503
    assert time.monotonic() - started < 10  # stopped about 0.6 s in, not after the 30 s asked


def test_registry_finds_providers_by_name_and_falls_back_to_rest_for_apis() -> None:
    assert type(provider_for(IntegrationFactory.build(provider="1c"))).__name__ == "OneCOData"
    assert type(provider_for(IntegrationFactory.build(provider="rest"))).__name__ == "GenericRest"
    unknown_api = IntegrationFactory.build(provider="acme", type="api", api_endpoint=None)
    assert type(provider_for(unknown_api)).__name__ == "GenericRest"
    gateway = IntegrationFactory.build(provider="payme", type="payment_gateway", api_endpoint=None)
    provider = provider_for(gateway)
    assert provider is None or not provider.can_sync
