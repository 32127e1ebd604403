"""What a provider declares, and the helpers its connector shares.

A provider is a small class over the shared ``IntegrationHttpClient``. It says what it can do
(``can_test``, ``can_sync``, ``signature_scheme``, ``receive_protocol``) and, where it has a
connector, how to test the connection and how to read an entity page by page, with what a
record's key, version and deletion mark are. ``integrations.providers.PROVIDERS`` lists them.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import orjson

from integrations.http import HttpError, HttpResult, IntegrationHttpClient, response_json
from integrations.models import Integration

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

# A gateway's own protocol on the receive URL: it answers the whole request itself.
ReceiveProtocol = Callable[["HttpRequest", Integration], "HttpResponse"]
# Its answer when the integration cannot be read (the database down): given the request and
# whether this process last read the code as this provider's; None when the call is not its own.
ReceiveUnreadable = Callable[..., "HttpResponse | None"]


class SyncSourceError(Exception):
    """The source answered in a way that stops the sync (bad credentials, an error status, a
    body that is not what the protocol promises). The message is safe to show operators."""


class ChannelError(Exception):
    """A notification channel did not take a message. The text is safe to show operators (no
    credential in it); ``retry_after`` is the channel's own advice in seconds, when it gave one;
    ``permanent`` when trying again cannot help (a refused login, an unknown chat)."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        retry_after: float | None = None,
        permanent: bool = False,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.retry_after = retry_after
        self.permanent = permanent


@dataclass(frozen=True)
class ConnectionTestResult:
    success: bool
    status_code: int | None
    duration_ms: int
    message: str
    # False when there is nothing the hub could test (no connector): a failed result then says
    # nothing about the integration's health.
    testable: bool = True


# (key, version, deletion mark) of a record, as a source lists them without the record.
VersionEntry = tuple[str, str, bool]


@dataclass
class SyncContext:
    """What a provider gets while reading one entity of one job.

    ``list_versions`` is set on a re-sync of an entity that has stored records: a provider whose
    source can list keys and versions alone (``version_field``) may then yield a
    ``VersionListing`` instead of a page; the engine reads the page whole (``read_page``) only
    when a listed record differs from what is stored. When listings keep differing the engine
    sets ``whole_pages``: whole pages from then on."""

    integration: Integration
    client: IntegrationHttpClient
    should_stop: Callable[[], bool]
    list_versions: bool = False
    whole_pages: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class VersionListing:
    """The page at ``skip`` as the source listed it: ``count`` records, their ``entries``, or
    None when a record came without its key or version (the page must be read whole)."""

    skip: int
    count: int
    entries: list[VersionEntry] | None


# One encoder for every record: json.dumps with options builds a new JSONEncoder per call,
# which costs about as much as encoding a small record.
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def canonical_json(record: Any) -> str:
    """The record as compact JSON with sorted keys (what its version hash is taken of).

    orjson writes the standard library's text for strings, integers, booleans and nesting; floats
    in exponent form are spelled differently (``1e16``/``1e-5`` where json writes ``1e+16``/
    ``1e-05``: the same numbers, but a record holding one gets a new version hash once, after the
    upgrade). What orjson refuses (integers beyond 64 bits, lone surrogates) or may have changed
    (it writes NaN and infinities as ``null``; a text with ``null`` in it is written again) is
    the standard library's, so such a record is refused when stored instead of altered.
    """
    try:
        text = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return _CANONICAL.encode(record)
    if b"null" in text:
        return _CANONICAL.encode(record)
    return text.decode()


def content_hash(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_answer(result: HttpResult, *, what: str) -> None:
    """Raise SyncSourceError for an answer a sync cannot go on with."""
    status = result.status_code
    if 200 <= status < 300:
        return
    if status in (401, 403):
        raise SyncSourceError(
            f"{what}: HTTP {status}, the credentials were refused (check api_key and api_secret)"
        )
    retried = f" after {result.attempts} attempts" if result.attempts > 1 else ""
    raise SyncSourceError(f"{what}: HTTP {status}{retried}")


def parse_json(result: HttpResult, *, what: str) -> Any:
    try:
        return response_json(result.response)
    except ValueError:
        raise SyncSourceError(f"{what}: the answer is not JSON") from None


def probe_connection(
    client: IntegrationHttpClient, url: str, *, headers: dict[str, str], refused: str
) -> ConnectionTestResult:
    """GET ``url`` once and say what it means; ``refused`` explains a 401/403 to an operator."""
    try:
        result = client.request("GET", url, action="test_connection", headers=headers)
    except HttpError as error:
        return ConnectionTestResult(False, None, 0, f"No answer from {url}: {error}")
    status = result.status_code
    if result.ok:
        message = f"Connected: HTTP {status} in {result.duration_ms} ms"
    elif status in (401, 403):
        message = f"HTTP {status}: {refused}"
    else:
        message = f"HTTP {status} from {url}"
    return ConnectionTestResult(result.ok, status, result.duration_ms, message)


def protocol_error_code(error_message: str) -> int:
    """The numeric code a receive protocol's log message starts with (``"-32504: ..."``); 0 when
    there is none."""
    head = error_message.split(":", 1)[0].strip()
    try:
        return int(head)
    except ValueError:
        return 0


class Provider:
    """Base declaration: a provider with a connector sets ``can_test`` and overrides
    ``test_connection``, and for syncing sets ``can_sync`` and overrides ``pages``."""

    # What the provider can do.
    can_test: ClassVar[bool] = False
    # A notification channel: ``send_message`` delivers alerts.
    can_notify: ClassVar[bool] = False
    can_sync: ClassVar[bool] = False
    # The default ``config.signature_scheme`` of its integrations (a name in webhooks' schemes).
    signature_scheme: ClassVar[str | None] = None
    # Dotted path of a ``ReceiveProtocol`` when its senders speak their own protocol.
    receive_protocol: ClassVar[str | None] = None
    # Its senders append an operation to the receive URL (``…/receive/<code>/<operation>``);
    # ``receive_unavailable``: dotted path of ``(request) -> response``, its answer there when the
    # database cannot be read (so not even the integration is known).
    receive_operations: ClassVar[bool] = False
    receive_unavailable: ClassVar[str | None] = None
    # Dotted path of a ``ReceiveUnreadable``, when its protocol must answer even without the row.
    receive_unreadable: ClassVar[str | None] = None
    default_key_field: ClassVar[str] = "id"
    # The record field its source changes on every edit, when ``pages`` can list versions alone
    # (``VersionListing``): the engine compares it with the stored record's.
    version_field: ClassVar[str | None] = None

    def test_connection(
        self, integration: Integration, client: IntegrationHttpClient
    ) -> ConnectionTestResult:
        raise NotImplementedError

    def send_message(
        self, integration: Integration, client: IntegrationHttpClient, *, subject: str, text: str
    ) -> None:
        """Deliver one message (an alert, a test) to the channel; ChannelError when it fails."""
        raise NotImplementedError

    @classmethod
    def is_protocol_error(cls, error_message: str) -> bool:
        """Whether the receive protocol's answer logged as ``error_message`` (``"<code>: <text>"``)
        means the exchange itself failed (bad credentials, a malformed call, our internal
        error) rather than a business answer (no such order, already paid). A gateway's health
        is its last call's; this default counts every error."""
        return bool(error_message)

    def pages(
        self, context: SyncContext, *, entity: str, source: str
    ) -> Iterator[list[Any] | VersionListing]:
        """Yield the records of one entity, one page (list) at a time; a provider that can list
        versions alone may yield a ``VersionListing`` instead (see ``SyncContext``)."""
        raise NotImplementedError

    def read_page(self, context: SyncContext, *, entity: str, source: str, skip: int) -> list[Any]:
        """The whole page a ``VersionListing`` at ``skip`` listed."""
        raise NotImplementedError

    def key_field(self, integration: Integration) -> str:
        return integration.typed_config.key_field or self.default_key_field

    def record_key(
        self, integration: Integration, record: dict[str, Any], *, key_field: str | None = None
    ) -> str | None:
        """The record's key as a string, None when it has none. ``key_field``: the caller's
        ``key_field(integration)``, read once for a whole page instead of once per record."""
        value = record.get(key_field or self.key_field(integration))
        if value is None or isinstance(value, (dict, list)) or str(value).strip() == "":
            return None
        return str(value)

    def record_version(self, record: dict[str, Any], canonical: str) -> str:
        return content_hash(canonical)

    def record_is_deleted(self, record: dict[str, Any]) -> bool:
        return False


def channel_test_message(integration: Integration) -> tuple[str, str]:
    """(subject, text) of the message a channel's connection test sends."""
    return (
        f"VendHub test message ({integration.code})",
        f"VendHub test message: alerts reach this channel ({integration.name}, "
        f"{integration.code}).",
    )


def send_test_message(
    channel: Provider,
    integration: Integration,
    client: IntegrationHttpClient,
    *,
    started: float,
    done: str = "",
) -> ConnectionTestResult:
    """A channel's connection test ends by sending the test message; ``done`` says what the
    test already checked (``"Bot @vendhub_bot: "``), ``started`` is its ``time.monotonic()``."""
    import time

    subject, text = channel_test_message(integration)
    try:
        channel.send_message(integration, client, subject=subject, text=text)
    except ChannelError as error:
        duration = int((time.monotonic() - started) * 1000)
        return ConnectionTestResult(False, error.status_code, duration, f"{done}{error}")
    duration = int((time.monotonic() - started) * 1000)
    return ConnectionTestResult(True, 200, duration, f"{done}test message sent")
