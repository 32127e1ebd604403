"""A local HTTP server that speaks 1C:Enterprise's standard OData, for tests and benchmarks.

It serves ``http://127.0.0.1:<port>/base/odata/standard.odata/`` with entity sets held in memory
(or generated on the fly for large catalogues), Basic auth checked on UTF-8 credentials (1C user
names are often Cyrillic), ``$metadata`` as XML and pages by ``$top``/``$skip``/``$orderby``.
Knobs make it misbehave the ways real servers do: scripted error answers (401, 429, 5xx with
``Retry-After``), slow answers, and a log of every request for assertions.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

ROOT_PATH = "/base/odata/standard.odata"
USERNAME = "Администратор"
PASSWORD = "пароль-1С"
CATALOGUE = "Catalog_Номенклатура"


def ref_key(number: int) -> str:
    """A GUID-shaped Ref_Key whose text order is the numeric order (so pages are predictable)."""
    return f"{number:08x}-0000-4000-8000-{number:012x}"


def catalogue_item(number: int, *, version: int = 1, deleted: bool = False) -> dict[str, Any]:
    return {
        "Ref_Key": ref_key(number),
        "DataVersion": base64.b64encode(f"v{version}".encode()).decode(),
        "DeletionMark": deleted,
        "Code": f"{number:09d}",
        "Description": f"Товар №{number}",
        "Parent_Key": "00000000-0000-0000-0000-000000000000",
        "IsFolder": False,
        "Артикул": f"A-{number}",
        "ЦенаПродажи": 1000 + number % 5000,
    }


@dataclass
class GeneratedSet:
    """An entity set of ``count`` items made by ``make(number)``: no memory per item."""

    count: int
    make: Callable[[int], dict[str, Any]] = catalogue_item

    def page(self, skip: int, top: int) -> list[dict[str, Any]]:
        return [self.make(n) for n in range(skip, min(self.count, skip + top))]


@dataclass
class Scripted:
    """An error answer served instead of the real one."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: str = '{"odata.error": {"code": "", "message": {"lang": "ru", "value": "Ошибка"}}}'


@dataclass
class SeenRequest:
    method: str
    path: str  # decoded, e.g. /base/odata/standard.odata/Catalog_Номенклатура
    query: dict[str, str]
    authorization: str | None


class ODataServer:
    """``with ODataServer() as server:`` then ``server.root`` is the OData root URL."""

    def __init__(
        self, *, username: str = USERNAME, password: str = PASSWORD, port: int = 0
    ) -> None:
        self.username = username
        self.password = password
        self.entity_sets: dict[str, list[dict[str, Any]] | GeneratedSet] = {}
        self.scripted: list[Scripted | None] = []
        self.delay_seconds = 0.0
        self.requests: list[SeenRequest] = []
        self.keep_requests = True
        # What $select does, as 1C ("honour": only the named properties) or as servers that
        # "ignore" it (whole records) or "refuse" it (400).
        self.select = "honour"
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def root(self) -> str:
        host, port = self._httpd.server_address[:2]
        assert isinstance(host, str)  # an AF_INET address, bound above
        return f"http://{host}:{port}{ROOT_PATH}"

    def start(self) -> ODataServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> ODataServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail_next(self, status: int, *, times: int = 1, after: int = 0, **headers: str) -> None:
        """Answer ``times`` requests with ``status``, after ``after`` normal answers (headers as
        keyword arguments, ``Retry_After="1"`` becoming ``Retry-After: 1``)."""
        named = {name.replace("_", "-"): value for name, value in headers.items()}
        with self._lock:
            self.scripted.extend([None] * after)
            self.scripted.extend(Scripted(status, named) for _ in range(times))

    def data_requests(self, entity_set: str | None = None) -> list[SeenRequest]:
        return [
            r
            for r in self.requests
            if "$metadata" not in r.path
            and (entity_set is None or r.path.endswith("/" + entity_set))
        ]

    def _take_scripted(self) -> Scripted | None:
        with self._lock:
            return self.scripted.pop(0) if self.scripted else None

    def _authorized(self, header: str | None) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return False
        return decoded == f"{self.username}:{self.password}"

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                path = unquote(parts.path, encoding="utf-8")
                query = dict(parse_qsl(parts.query, keep_blank_values=True))
                if server.keep_requests:
                    server.requests.append(
                        SeenRequest("GET", path, query, self.headers.get("Authorization"))
                    )
                if server.delay_seconds:
                    time.sleep(server.delay_seconds)
                scripted = server._take_scripted()
                if scripted is not None:
                    self._send(scripted.status, scripted.body.encode(), scripted.headers)
                    return
                if not server._authorized(self.headers.get("Authorization")):
                    self._send(
                        401,
                        b"Unauthorized",
                        {"WWW-Authenticate": 'Basic realm="1C"', "Content-Type": "text/plain"},
                    )
                    return
                if not path.startswith(ROOT_PATH + "/"):
                    self._json(404, {"odata.error": {"message": {"value": "Not found"}}})
                    return
                name = path[len(ROOT_PATH) + 1 :]
                if name == "$metadata":
                    self._send(200, self._metadata().encode(), {"Content-Type": "application/xml"})
                    return
                self._entity_set(name, query)

            def _entity_set(self, name: str, query: dict[str, str]) -> None:
                data = server.entity_sets.get(name)
                if data is None:
                    self._json(404, {"odata.error": {"message": {"value": f"{name} not found"}}})
                    return
                if query.get("$format") != "json" or query.get("$orderby") != "Ref_Key":
                    self._json(400, {"odata.error": {"message": {"value": "bad query options"}}})
                    return
                selected = query.get("$select")
                if selected is not None and server.select == "refuse":
                    self._json(400, {"odata.error": {"message": {"value": "$select refused"}}})
                    return
                top = int(query.get("$top", "1000000"))
                skip = int(query.get("$skip", "0"))
                if isinstance(data, GeneratedSet):
                    page = data.page(skip, top)
                else:
                    ordered = sorted(data, key=lambda item: str(item.get("Ref_Key", "")))
                    page = ordered[skip : skip + top]
                if selected is not None and server.select == "honour":
                    names = selected.split(",")
                    page = [{n: item[n] for n in names if n in item} for item in page]
                self._json(
                    200, {"odata.metadata": f"{server.root}/$metadata#{name}", "value": page}
                )

            def _metadata(self) -> str:
                sets = "".join(
                    f'<EntitySet Name="{name}" EntityType="StandardODATA.{name}"/>'
                    for name in server.entity_sets
                )
                return (
                    '<?xml version="1.0" encoding="UTF-8"?>'
                    '<edmx:Edmx xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx" '
                    'Version="1.0"><edmx:DataServices><Schema Namespace="StandardODATA">'
                    f'<EntityContainer Name="InfoBase">{sets}</EntityContainer>'
                    "</Schema></edmx:DataServices></edmx:Edmx>"
                )

            def _json(self, status: int, body: Any) -> None:
                self._send(
                    status,
                    json.dumps(body, ensure_ascii=False).encode("utf-8"),
                    {"Content-Type": "application/json;odata=minimalmetadata;charset=utf-8"},
                )

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    return

        return Handler
