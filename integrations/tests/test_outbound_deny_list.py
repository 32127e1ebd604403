"""The outbound deny-list (``OUTBOUND_DENY_NETWORKS``): refused on write with the field named,
refused at call time with the rule named, before any connection to a denied address is opened;
a name is resolved once and the connection goes to the address that was checked."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from urllib3.util import connection as urllib3_connection

from integrations.models import Integration
from integrations.services.connection import integration_test_connection
from integrations.tests.factories import IntegrationFactory
from webhooks.models import Webhook, WebhookStatus
from webhooks.services import webhook_process
from webhooks.tests.factories import WebhookFactory

pytestmark = pytest.mark.django_db

METADATA = "169.254.169.254"


class LocalServer:
    """127.0.0.1 (allowed): answers every request with ``status`` and ``headers``, recording
    the Host header of each."""

    def __init__(self, *, keep_alive: bool = False) -> None:
        self.hosts: list[str] = []
        # The client's (address, port) of each request: one per connection it used.
        self.peers: list[tuple[str, int]] = []
        self.status = 200
        self.headers: dict[str, str] = {}
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"
            disable_nagle_algorithm = True

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                owner.hosts.append(self.headers.get("Host", ""))
                owner.peers.append(self.client_address)
                self.send_response(owner.status)
                for name, value in owner.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST = _answer

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    server = LocalServer()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every address a socket is opened to by urllib3, recorded at the edge."""
    opened: list[str] = []
    real = urllib3_connection.create_connection

    def recording(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        opened.append(address[0])
        if address[0] == METADATA:
            raise AssertionError("a connection to the metadata address was attempted")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3_connection, "create_connection", recording)
    return opened


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Names under ``.test`` resolve to the addresses put in the returned dict (one list per
    lookup: the first lookup gets the first list...), counting lookups; others resolve as usual."""
    answers: dict[str, list[str]] = {}
    lookups: dict[str, int] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host.endswith(".test"):
            count = lookups.get(host, 0)
            lookups[host] = count + 1
            address = answers[host][min(count, len(answers[host]) - 1)]
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (address, int(port)))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    answers["__lookups__"] = lookups  # type: ignore[assignment]
    return answers


# --- On write: 400 naming the field -------------------------------------------------------------

BODY = {"name": "ERP", "code": "erp-deny", "type": "erp", "provider": "rest"}


@pytest.mark.parametrize(
    "url",
    [
        f"http://{METADATA}/latest/meta-data/",
        "http://[fe80::1]/",
        "http://[::ffff:169.254.169.254]/",
        "http://100.100.100.200/",
        "http://0.0.0.0:8080/",
        "http://[fd00:ec2::254]/",
        # The same metadata address in the IPv4 shorthands a resolver accepts.
        "http://2852039166/",
        "http://0xa9fea9fe/",
        "http://169.254.43518/",
    ],
)
def test_a_denied_api_endpoint_is_a_400_naming_the_field(api_client, url):
    response = api_client.post("/api/integrations", {**BODY, "api_endpoint": url}, format="json")
    assert response.status_code == 400
    assert "api_endpoint" in response.json()
    assert "OUTBOUND_DENY_NETWORKS" in str(response.json()["api_endpoint"])
    assert not Integration.all_objects.filter(code=BODY["code"]).exists()


def test_a_denied_forward_url_is_a_400_naming_the_key_on_create_and_update(api_client):
    config = {"forward_url": f"http://{METADATA}/hook"}
    response = api_client.post("/api/integrations", {**BODY, "config": config}, format="json")
    assert response.status_code == 400
    assert "config.forward_url" in str(response.json()["config"])

    integration = IntegrationFactory(config={"forward_url": "http://127.0.0.1:9/hook"})
    response = api_client.patch(
        f"/api/integrations/{integration.id}", {"config": config}, format="json"
    )
    assert response.status_code == 400
    assert "config.forward_url" in str(response.json()["config"])
    integration.refresh_from_db()
    assert integration.config == {"forward_url": "http://127.0.0.1:9/hook"}


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080/odata", "http://10.0.0.5/", "http://192.168.1.10/", "http://[::1]/"],
)
def test_loopback_and_private_addresses_stay_allowed(api_client, url):
    body = {**BODY, "api_endpoint": url, "config": {"forward_url": url}}
    response = api_client.post("/api/integrations", body, format="json")
    assert response.status_code == 201, response.json()


def test_the_networks_come_from_the_environment_setting(api_client, settings):
    settings.OUTBOUND_DENY_NETWORKS = ["10.0.0.0/8"]
    response = api_client.post(
        "/api/integrations", {**BODY, "api_endpoint": "http://10.1.2.3/"}, format="json"
    )
    assert response.status_code == 400
    assert "10.0.0.0/8" in str(response.json()["api_endpoint"])
    response = api_client.post(
        "/api/integrations", {**BODY, "api_endpoint": f"http://{METADATA}/"}, format="json"
    )
    assert response.status_code == 201


# --- At call time: refused before connecting, the rule named ----------------------------------


def stored_with(**fields: Any) -> Integration:
    """An integration whose URLs were written before the rule (straight into the database)."""
    integration = IntegrationFactory(provider="rest", type="api")
    Integration.all_objects.filter(pk=integration.pk).update(**fields)
    integration.refresh_from_db()
    return integration


def test_a_test_connection_to_a_denied_literal_fails_naming_the_rule(connections):
    integration = stored_with(api_endpoint=f"http://{METADATA}/latest/meta-data")
    result = integration_test_connection(integration=integration)
    assert result.success is False
    assert result.status_code is None
    assert "OUTBOUND_DENY_NETWORKS" in result.message
    assert METADATA not in connections


def test_a_name_that_resolves_to_a_denied_address_is_refused(connections, resolver):
    resolver["metadata.internal.test"] = [METADATA]
    integration = stored_with(api_endpoint="http://metadata.internal.test/api")
    result = integration_test_connection(integration=integration)
    assert result.success is False
    assert "metadata.internal.test resolves to 169.254.169.254" in result.message
    assert "OUTBOUND_DENY_NETWORKS" in result.message
    assert connections == []


def test_a_forward_to_a_denied_name_fails_the_webhook_with_the_rule(connections, resolver):
    resolver["hooks.internal.test"] = [METADATA]
    integration = IntegrationFactory(
        provider="erp", config={"forward_url": "http://hooks.internal.test:8080/hook"}
    )
    webhook = WebhookFactory(integration=integration, max_retries=0)
    assert webhook_process(webhook_id=webhook.id) == WebhookStatus.FAILED
    webhook = Webhook.objects.get(pk=webhook.pk)
    assert "OUTBOUND_DENY_NETWORKS" in (webhook.error_message or "")
    assert connections == []


def test_forwards_keep_their_checked_connection_and_a_new_one_is_checked(connections, resolver):
    """The forward's pooled session reuses a kept-alive connection (checked when it was opened:
    a name that would now resolve elsewhere is not looked up again for it); any connection it
    opens is checked, so a forward to a denied name is refused without a socket."""
    server = LocalServer(keep_alive=True)
    try:
        resolver["keep.test"] = ["127.0.0.1", METADATA]
        resolver["other.test"] = [METADATA]
        kept = IntegrationFactory(
            provider="erp", config={"forward_url": f"http://keep.test:{server.port}/hook"}
        )
        outcomes = [
            webhook_process(webhook_id=WebhookFactory(integration=kept, max_retries=0).id)
            for _ in range(3)
        ]
        assert outcomes == [WebhookStatus.COMPLETED] * 3
        assert len(set(server.peers)) == 1, server.peers
        assert connections == ["127.0.0.1"]
        assert resolver["__lookups__"]["keep.test"] == 1

        denied = IntegrationFactory(
            provider="erp", config={"forward_url": f"http://other.test:{server.port}/hook"}
        )
        webhook = WebhookFactory(integration=denied, max_retries=0)
        assert webhook_process(webhook_id=webhook.id) == WebhookStatus.FAILED
        assert "OUTBOUND_DENY_NETWORKS" in (Webhook.objects.get(pk=webhook.pk).error_message or "")
        assert connections == ["127.0.0.1"]
    finally:
        server.server.shutdown()
        server.server.server_close()


def test_the_checked_address_is_the_one_connected_to(local_server, connections, resolver):
    # A rebinding name: allowed on the first lookup, the metadata address on any later one.
    # The hub looks it up once per connection and connects to what it checked.
    name = "rebind.test"
    resolver[name] = ["127.0.0.1", METADATA]
    integration = stored_with(api_endpoint=f"http://{name}:{local_server.port}")
    result = integration_test_connection(integration=integration)
    assert result.success is True, result.message
    assert connections == ["127.0.0.1"]
    assert resolver["__lookups__"][name] == 1
    # The Host header still names the host of the URL.
    assert local_server.hosts == [f"{name}:{local_server.port}"]


def test_a_redirect_to_a_denied_address_is_not_followed(local_server, connections):
    local_server.status = 302
    local_server.headers = {"Location": f"http://{METADATA}/latest/meta-data/iam/"}
    integration = IntegrationFactory(
        provider="erp", config={"forward_url": f"http://127.0.0.1:{local_server.port}/hook"}
    )
    webhook = WebhookFactory(integration=integration, max_retries=0)
    assert webhook_process(webhook_id=webhook.id) == WebhookStatus.FAILED
    webhook = Webhook.objects.get(pk=webhook.pk)
    assert "HTTP 302" in (webhook.error_message or "")
    assert connections == ["127.0.0.1"]
    assert len(local_server.hosts) == 1


def test_a_denied_loopback_is_refused_without_a_request(local_server, connections, settings):
    settings.OUTBOUND_DENY_NETWORKS = ["127.0.0.0/8"]
    integration = stored_with(api_endpoint=f"http://127.0.0.1:{local_server.port}")
    result = integration_test_connection(integration=integration)
    assert result.success is False
    assert "refused by OUTBOUND_DENY_NETWORKS: 127.0.0.1 is in the denied network" in result.message
    assert connections == [] and local_server.hosts == []
