"""Outbound safety rules (protocol.md §Security considerations, item 1): which URLs and addresses
a node may call.

A peer URL comes from other people (invite codes, peering requests, descriptors), so it must never
make the node call itself, its LAN or a cloud metadata service. Three layers:

1. :func:`check_url` refuses anything but plain ``http``/``https`` URLs with a host, no
   credentials, and no ambiguous IPv4 spelling (``2130706433``, ``0177.0.0.1``, ``127.1``: the
   resolver reads them as IP addresses while humans and URL parsers read them as names).
2. :func:`address_allowed` says whether one IP address is a public unicast address.
3. :class:`GuardedHTTPAdapter` resolves the host *inside* the connection it opens, checks every
   address of the answer and connects to the address it checked. There is no second lookup, so a
   DNS answer that changes between check and connect (DNS rebinding) cannot slip through. TLS is
   untouched: urllib3 still sends SNI and verifies the certificate for the host name of the URL,
   and the ``Host`` header still carries the name.

The adapter raises :class:`~federation.errors.TransportError` (``private-address``) from inside
urllib3; neither urllib3 nor requests catches that type, so it reaches the caller unchanged.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    LocationParseError,
    NameResolutionError,
    NewConnectionError,
)
from urllib3.util import parse_url

from federation.errors import TransportError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
AddressPolicy = Callable[[IPAddress], bool]

ALLOWED_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}

# Ranges refused on top of what ``ipaddress`` already flags as private/reserved/etc.
_CGNAT = ipaddress.ip_network("100.64.0.0/10")  # RFC 6598 shared address space (carrier NAT)
_IETF_PROTOCOL = ipaddress.ip_network("192.0.0.0/24")  # RFC 6890; Python only flags parts of it
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def address_allowed(ip: IPAddress) -> bool:
    """True when ``ip`` is a public unicast address a node may call without ``allow_private``.

    Refused: loopback, private (RFC 1918, ULA), link-local, multicast, reserved, unspecified,
    CGNAT, documentation/benchmark ranges, and IPv6 addresses that embed one of those (IPv4-mapped,
    6to4, Teredo, NAT64).
    """
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return all(address_allowed(inner) for inner in embedded)
        if ip.scope_id:
            return False
    if (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    ):
        return False
    if isinstance(ip, ipaddress.IPv4Address):
        return ip not in _CGNAT and ip not in _IETF_PROTOCOL
    return True


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address] | None:
    """The IPv4 addresses an IPv6 address stands for, if it is a transition address."""
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)
    if any(ip in net for net in _NAT64):
        # The IPv4 address sits in the last 32 bits for the /96 well-known prefix; for the local-use
        # /48 prefix judge the same bits, which is what a NAT64 gateway configured that way uses.
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    return None


def parse_ip(text: str) -> IPAddress | None:
    """``text`` as an IP address if it is a canonical literal (IPv6 in brackets too), else None."""
    candidate = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    try:
        return ipaddress.ip_address(candidate)
    except ValueError:
        return None


def check_address(ip: IPAddress, allow_private: bool) -> None:
    """Raise ``private-address`` unless ``ip`` may be called under the current setting."""
    if not allow_private and not address_allowed(ip):
        raise TransportError("private-address", f"{ip} is not a public address")


@dataclass(frozen=True)
class Target:
    """The parts of a checked URL that decide where a request goes."""

    url: str
    scheme: str
    host: str  # lowercase; IPv6 literals without brackets
    port: int

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)


def check_url(url: str) -> Target:
    """Parse ``url`` the way urllib3 will and refuse anything but a plain http(s) URL (``bad-url``).

    Uses urllib3's own parser so the host checked here is the host the connection will use.
    """
    if not isinstance(url, str) or not url or len(url) > 2048:
        raise TransportError("bad-url", "a URL must be a non-empty string of at most 2048 chars")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        raise TransportError("bad-url", "URL contains whitespace or control characters")
    try:
        parsed = parse_url(url)
    except LocationParseError as exc:
        raise TransportError("bad-url", f"cannot parse URL: {exc}") from exc
    scheme = (parsed.scheme or "").lower()
    if scheme not in ALLOWED_SCHEMES:
        raise TransportError("bad-url", f"scheme {parsed.scheme!r} is not http or https")
    if parsed.auth:
        raise TransportError("bad-url", "URLs with credentials are not allowed")
    host = (parsed.host or "").lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host:
        raise TransportError("bad-url", "URL has no host")
    _refuse_ambiguous_ipv4(host)
    port = parsed.port if parsed.port is not None else DEFAULT_PORTS[scheme]
    if not 0 < port < 65536:
        raise TransportError("bad-url", f"port {port} is out of range")
    return Target(url=url, scheme=scheme, host=host, port=port)


def _refuse_ambiguous_ipv4(host: str) -> None:
    """Refuse host names the C resolver would read as an IPv4 address in a non-canonical spelling.

    ``inet_aton`` (which ``getaddrinfo`` falls back to) accepts ``2130706433``, ``0x7f.1`` and
    ``0177.0.0.1`` as 127.0.0.1. They never name a real peer, and refusing them outright means no
    layer has to agree with another on how to read them.
    """
    name = host.rstrip(".")
    try:
        socket.inet_aton(name)
    except OSError:
        return
    try:
        canonical = str(ipaddress.IPv4Address(name)) == name
    except ValueError:
        canonical = False
    if not canonical:
        raise TransportError("bad-url", f"{host!r} is an ambiguous spelling of an IPv4 address")


def resolve_checked(
    host: str, port: int, policy: AddressPolicy
) -> list[tuple[Any, Any, Any, tuple[Any, ...]]]:
    """Resolve ``host`` once and return ``(family, type, proto, sockaddr)`` for each address.

    Refuses (``private-address``) when *any* address of the answer fails ``policy``: a name that
    mixes public and private addresses is treated as hostile rather than filtered.
    """
    infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    if not infos:
        raise socket.gaierror(f"no addresses for {host}")
    checked = []
    for family, socktype, proto, _canon, sockaddr in infos:
        ip = ipaddress.ip_address(sockaddr[0])
        if not policy(ip):
            raise TransportError(
                "private-address", f"{host} resolves to {ip}, not a public address"
            )
        checked.append((family, socktype, proto, sockaddr))
    return checked


def _connect_checked(conn: HTTPConnection) -> socket.socket:
    """urllib3 ``_new_conn`` replacement: resolve, check, connect to the checked address."""
    policy: AddressPolicy = type(conn).address_policy  # type: ignore[attr-defined]
    host = conn._dns_host  # type: ignore[attr-defined]  # brackets already stripped by urllib3
    try:
        addresses = resolve_checked(host, conn.port, policy)
    except socket.gaierror as exc:
        raise NameResolutionError(conn.host, conn, exc) from exc
    last_error: OSError | None = None
    for family, socktype, proto, sockaddr in addresses:
        sock = socket.socket(family, socktype, proto)
        try:
            for option in conn.socket_options or ():
                sock.setsockopt(*option)
            if isinstance(conn.timeout, int | float):
                sock.settimeout(conn.timeout)
            if conn.source_address:
                sock.bind(conn.source_address)
            sock.connect(sockaddr)
            return sock
        except TimeoutError as exc:
            sock.close()
            raise ConnectTimeoutError(
                conn, f"connection to {conn.host} timed out (connect timeout={conn.timeout})"
            ) from exc
        except OSError as exc:
            sock.close()
            last_error = exc
    # Chained, so that a caller can name the system's reason without parsing urllib3's text.
    raise NewConnectionError(
        conn, f"failed to establish a new connection: {last_error}"
    ) from last_error


class _GuardedHTTPConnection(HTTPConnection):
    address_policy: AddressPolicy = staticmethod(address_allowed)

    def _new_conn(self) -> socket.socket:
        return _connect_checked(self)


class _GuardedHTTPSConnection(HTTPSConnection):
    address_policy: AddressPolicy = staticmethod(address_allowed)

    def _new_conn(self) -> socket.socket:
        return _connect_checked(self)


def _pool_classes(policy: AddressPolicy) -> dict[str, type[HTTPConnectionPool]]:
    """Pool classes whose connections enforce ``policy`` (one class pair per adapter policy)."""
    http_conn = type(
        "GuardedHTTPConnection", (_GuardedHTTPConnection,), {"address_policy": staticmethod(policy)}
    )
    https_conn = type(
        "GuardedHTTPSConnection",
        (_GuardedHTTPSConnection,),
        {"address_policy": staticmethod(policy)},
    )
    http_pool = type(
        "GuardedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}
    )
    https_pool = type(
        "GuardedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}
    )
    return {"http": http_pool, "https": https_pool}


class GuardedHTTPAdapter(HTTPAdapter):
    """A requests adapter whose connections only go to addresses ``policy`` allows.

    ``policy`` defaults to :func:`address_allowed`; tests may pass a narrower or wider one. Proxies
    are refused: through a proxy the checked address would be the proxy's, not the peer's.
    """

    def __init__(self, policy: AddressPolicy = address_allowed, **kwargs: Any) -> None:
        # Set before super().__init__, which calls init_poolmanager.
        self._policy = policy
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self._policy)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        raise TransportError("bad-url", "outbound peer calls never go through a proxy")
