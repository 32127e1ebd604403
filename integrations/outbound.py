"""Where the hub may connect: the outbound deny-list (``OUTBOUND_DENY_NETWORKS``).

An integration's ``api_endpoint`` and ``config.forward_url`` are written by operators and API
clients; without a rule, one of them pointing at ``169.254.169.254`` would make the hub read
the cloud's instance metadata (credentials included) and log the answer. Two checks keep that
out:

- on a write, a URL whose host is a literal address in a denied network is refused, naming the
  field (``denied_url_reason``, called by ``Integration.clean`` and the typed config);
- at call time every connection the HTTP client opens resolves its host once, checks each
  address, and connects to the checked address itself (``GuardedAdapter``): there is no second
  lookup between the check and the connect for a rebinding DNS server to answer differently.
  TLS still verifies the host name (SNI and the ``Host`` header come from the URL), and the
  client follows no redirects, so a ``Location`` can never lead it anywhere unchecked.

Loopback and private networks stay allowed: VendHub's services and 1C servers live there.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_DENY_NETWORKS = "169.254.0.0/16,fe80::/10,fd00:ec2::/32,100.100.100.200/32,0.0.0.0/8"
RULE = "OUTBOUND_DENY_NETWORKS"


class OutboundAddressDenied(Exception):
    """A connection refused by the deny-list before it was opened. Not an ``OSError``, so
    urllib3 neither retries nor wraps it: the HTTP client reports this message as it is."""


def parse_networks(spec: str | Iterable[str]) -> tuple[IPNetwork, ...]:
    """``"169.254.0.0/16,fe80::/10"`` (or a list) as networks; a ValueError names a bad one."""
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    networks: list[IPNetwork] = []
    for item in (item.strip() for item in items):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{item!r} is not an IP network (CIDR)") from None
    return tuple(networks)


@functools.lru_cache(maxsize=8)
def _networks_of(spec: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return parse_networks(spec)


def deny_networks() -> tuple[IPNetwork, ...]:
    return _networks_of(tuple(settings.OUTBOUND_DENY_NETWORKS))


def denied_network(address: IPAddress) -> IPNetwork | None:
    """The denied network ``address`` lies in (an IPv4-mapped IPv6 address counts as IPv4)."""
    candidates: list[IPAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        candidates.append(address.ipv4_mapped)
    for network in deny_networks():
        if any(
            candidate.version == network.version and candidate in network
            for candidate in candidates
        ):
            return network
    return None


def _literal(host: str) -> IPAddress | None:
    """The address ``host`` spells, also in the IPv4 shorthands the resolver accepts
    (``2852039166``, ``0xa9fea9fe``, ``169.254.43518``), which name no host to look up."""
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def denied_url_reason(url: str) -> str | None:
    """Why ``url`` may not be stored: its host is a literal address in a denied network."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return None
    address = _literal(host)
    network = denied_network(address) if address is not None else None
    if network is None:
        return None
    return f"the address {address} is in a denied network ({network}, see {RULE})"


def checked_addresses(host: str, port: int) -> list[tuple[Any, ...]]:
    """Resolve ``host`` once; refuse when any address is denied, else return getaddrinfo's
    entries to connect to. Refusing on any (not just skipping the bad ones) keeps a name that
    points at the metadata service from working on some attempts and not others."""
    entries = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for entry in entries:
        address = ipaddress.ip_address(str(entry[4][0]).split("%", 1)[0])
        network = denied_network(address)
        if network is None:
            continue
        where = (
            str(address) if _literal(host) is not None else f"{host} resolves to {address}, which"
        )
        raise OutboundAddressDenied(
            f"refused by {RULE}: {where} is in the denied network {network}"
        )
    return entries


def _guarded_new_conn(conn: HTTPConnection) -> socket.socket:
    """urllib3's ``_new_conn``, resolving through ``checked_addresses`` and connecting to the
    checked address itself (so the name is looked up exactly once)."""
    try:
        entries = checked_addresses(conn._dns_host, conn.port)
    except socket.gaierror as error:
        raise NameResolutionError(conn.host, conn, error) from error
    last_error: OSError | None = None
    for entry in entries:
        try:
            return connection.create_connection(
                (entry[4][0], conn.port),
                conn.timeout,
                source_address=conn.source_address,
                socket_options=conn.socket_options,
            )
        except TimeoutError as error:
            raise ConnectTimeoutError(
                conn, f"Connection to {conn.host} timed out. (connect timeout={conn.timeout})"
            ) from error
        except OSError as error:
            last_error = error
    raise NewConnectionError(conn, f"Failed to establish a new connection: {last_error}")


class GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _guarded_new_conn(self)


class GuardedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _guarded_new_conn(self)


class GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = GuardedHTTPConnection


class GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """A requests adapter whose every connection goes through the deny-list."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": GuardedHTTPConnectionPool,
            "https": GuardedHTTPSConnectionPool,
        }


def guarded_session() -> Any:
    """A ``requests.Session`` whose http:// and https:// connections are checked."""
    import requests

    session = requests.Session()
    # No proxy from the environment: through a proxy the address checked would be the proxy's,
    # not the destination's.
    session.trust_env = False
    adapter = GuardedAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
