"""Outbound safety: real HTTP(S) servers on 127.0.0.1, and every refusal checked by its reason.

No test sends a packet anywhere but loopback: ``socket.socket`` is replaced for the whole module by
a subclass whose ``connect`` refuses any other address, so even a broken guard could not leak
traffic. Names other than ``localhost`` are answered by a fake resolver.
"""

from __future__ import annotations

import contextlib
import datetime
import gzip
import io
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from requests.adapters import BaseAdapter

from federation.errors import TransportError
from federation.feeds import Head
from federation.transport import PeerClient, PeerHTTPError, address_allowed, check_url
from federation.transport.safety import parse_ip
from tests.federation.builders import KEY_A, A, B, build_feed, dicts

HASH = "ab" * 32
HEADS_DOC = {"heads": {A: {"seq": 3, "hash": HASH}, B: {"seq": 0, "hash": None}}}

# -- loopback-only sockets and a fake resolver ----------------------------------------------------

_RealSocket = socket.socket
_real_getaddrinfo = socket.getaddrinfo


class _LoopbackOnlySocket(_RealSocket):
    def connect(self, address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if not ipaddress.ip_address(str(host).split("%")[0]).is_loopback:
            raise AssertionError(f"test tried to connect to non-loopback {host}")
        super().connect(address)


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "socket", _LoopbackOnlySocket)


Resolver = dict[str, Callable[[], list[str]] | list[str]]


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Resolver, list[str]]]:
    """Names in the returned dict resolve to the given addresses; other names fail to resolve.

    IP literals and ``localhost`` go to the real resolver (no network is involved for either).
    The list records every name looked up.
    """
    answers: Resolver = {}
    lookups: list[str] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        lookups.append(name)
        if name in answers:
            entry = answers[name]
            addresses = entry() if callable(entry) else entry
            result = []
            for address in addresses:
                ip = ipaddress.ip_address(address)
                family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
                sockaddr: tuple[Any, ...] = (
                    (address, int(port), 0, 0) if ip.version == 6 else (address, int(port))
                )
                result.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
            return result
        if parse_ip(name) is not None or name == "localhost" or name.replace(".", "").isdigit():
            return _real_getaddrinfo(host, port, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield answers, lookups


# -- a tiny real HTTP server ---------------------------------------------------------------------

Route = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class LoopServer:
    httpd: ThreadingHTTPServer
    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    scheme: str = "http"

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def url_for(self, host: str) -> str:
        return f"{self.scheme}://{host}:{self.port}"


def _make_handler(server: LoopServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _dispatch(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path = self.path.split("?")[0]
            server.seen.append(Seen(self.command, self.path, dict(self.headers.items()), body))
            route = server.routes.get(path)
            if route is None:
                send_json(self, 404, {"type": "about:blank", "title": "Not Found", "status": 404})
                return
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                route(self)

        do_GET = _dispatch
        do_POST = _dispatch

    return Handler


def _start(server_factory: Callable[[], LoopServer]) -> Iterator[LoopServer]:
    server = server_factory()
    thread = threading.Thread(target=server.httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.httpd.shutdown()
        server.httpd.server_close()


def _new_server() -> LoopServer:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    httpd.daemon_threads = True
    server = LoopServer(httpd)
    httpd.RequestHandlerClass = _make_handler(server)
    return server


@pytest.fixture
def server() -> Iterator[LoopServer]:
    yield from _start(_new_server)


@pytest.fixture
def other_server() -> Iterator[LoopServer]:
    yield from _start(_new_server)


def send_json(
    handler: BaseHTTPRequestHandler,
    status: int,
    doc: Any,
    content_type: str = "application/json",
    raw: bytes | None = None,
) -> None:
    body = raw if raw is not None else json.dumps(doc).encode()
    if status >= 400 and raw is None and "type" in doc:
        content_type = "application/problem+json"
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def redirect(location: str, status: int = 302) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return route


def heads_route(handler: BaseHTTPRequestHandler) -> None:
    send_json(handler, 200, HEADS_DOC)


def client(**kwargs: Any) -> PeerClient:
    kwargs.setdefault("connect_timeout", 1.0)
    kwargs.setdefault("read_timeout", 1.0)
    kwargs.setdefault("total_timeout", 5.0)
    return PeerClient(**kwargs)


def refused(reason: str, call: Callable[[], Any]) -> TransportError:
    with pytest.raises(TransportError) as info:
        call()
    assert info.value.reason == reason, info.value
    return info.value


# -- addresses ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "239.255.255.250",
        "255.255.255.255",
        "240.0.0.1",
        "192.0.0.8",
        "192.0.2.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "2002:a00:1::",  # 6to4 of 10.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "2001:db8::1",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not address_allowed(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_allowed(ipaddress.ip_address(address))


# -- URL rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ftp://peer.example/",
        "file:///etc/passwd",
        "gopher://peer.example/",
        "peer.example/federation",
        "http://user:secret@peer.example/",
        "http:///no-host",
        "http://peer.example /x",
        "http://peer.example/\nx",
        "http://2130706433/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://0x7f.0.0.1/",
        "http://0x7f000001/",
        "",
    ],
)
def test_bad_urls_are_refused(url: str) -> None:
    refused("bad-url", lambda: check_url(url))


@pytest.mark.parametrize("url", ["http://2130706433/", "http://0177.0.0.1/"])
def test_ambiguous_ip_spellings_are_refused_even_with_allow_private(url: str) -> None:
    with client(allow_private=True) as c:
        refused("bad-url", lambda: c.get_heads(url))


def test_check_url_normalises_the_target() -> None:
    target = check_url("HTTPS://Peer.Example/base")
    assert (target.scheme, target.host, target.port) == ("https", "peer.example", 443)
    assert check_url("http://[::1]:8080/").origin == ("http", "::1", 8080)


# -- loopback and private addresses ---------------------------------------------------------------


def test_loopback_is_refused_without_allow_private(server: LoopServer) -> None:
    server.routes["/federation/v1/heads"] = heads_route
    with client() as c:
        refused("private-address", lambda: c.get_heads(server.url))
    assert server.seen == []  # nothing reached the server


def test_loopback_works_with_allow_private(server: LoopServer) -> None:
    server.routes["/federation/v1/heads"] = heads_route
    with client(allow_private=True) as c:
        heads = c.get_heads(server.url)
    assert heads == {A: Head(3, HASH), B: Head()}
    assert server.seen[0].headers["Host"] == f"127.0.0.1:{server.port}"


@pytest.mark.parametrize(
    "host",
    ["[::1]", "0.0.0.0", "[::ffff:127.0.0.1]", "169.254.169.254", "127.0.0.2", "[::]", "10.1.2.3"],
)
def test_private_ip_literals_are_refused_before_connecting(host: str) -> None:
    with client() as c:
        refused("private-address", lambda: c.get_heads(f"http://{host}:8080"))


def test_localhost_name_is_refused(server: LoopServer) -> None:
    server.routes["/federation/v1/heads"] = heads_route
    with client() as c:
        refused("private-address", lambda: c.get_heads(server.url_for("localhost")))
    assert server.seen == []


def test_public_name_resolving_to_private_address_is_refused(fake_dns: Any) -> None:
    answers, lookups = fake_dns
    answers["peer.example"] = ["10.0.0.1"]
    with client() as c:
        err = refused("private-address", lambda: c.get_heads("https://peer.example"))
    assert "10.0.0.1" in err.detail
    assert lookups == ["peer.example"]


def test_a_name_mixing_public_and_private_answers_is_refused(fake_dns: Any) -> None:
    answers, _ = fake_dns
    answers["mixed.example"] = ["8.8.8.8", "127.0.0.1"]
    with client() as c:
        refused("private-address", lambda: c.get_heads("http://mixed.example"))


def test_connection_pins_the_checked_address(server: LoopServer, fake_dns: Any) -> None:
    """DNS rebinding: the first answer is checked and used; a later answer is never consulted.

    The policy here treats only 127.0.0.1 as "public". The name first resolves to 127.0.0.1 and
    from then on to 127.0.0.2, where nothing listens: a second lookup at connect time would fail.
    """
    answers, lookups = fake_dns
    calls = iter(["127.0.0.1"])
    answers["rebind.example"] = lambda: [next(calls, "127.0.0.2")]
    server.routes["/federation/v1/heads"] = heads_route
    only_first = ipaddress.ip_address("127.0.0.1")
    with client(address_policy=lambda ip: ip == only_first) as c:
        assert c.get_heads(server.url_for("rebind.example"))[A] == Head(3, HASH)
    assert lookups == ["rebind.example"]
    # The name, not the address, is what the peer sees.
    assert server.seen[0].headers["Host"] == f"rebind.example:{server.port}"


def test_unresolvable_name_is_connection_failed(fake_dns: Any) -> None:
    with client() as c:
        refused("connection-failed", lambda: c.get_heads("http://nowhere.invalid"))


def test_nothing_listening_is_connection_failed() -> None:
    with _RealSocket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with client(allow_private=True) as c:
        refused("connection-failed", lambda: c.get_heads(f"http://127.0.0.1:{port}"))


# -- redirects ------------------------------------------------------------------------------------


def test_same_host_redirect_is_followed(server: LoopServer) -> None:
    server.routes["/old/federation/v1/heads"] = redirect("/federation/v1/heads", 301)
    server.routes["/federation/v1/heads"] = heads_route
    with client(allow_private=True) as c:
        assert c.get_heads(server.url + "/old")[A] == Head(3, HASH)
    assert [s.path for s in server.seen] == ["/old/federation/v1/heads", "/federation/v1/heads"]


def test_redirect_to_another_host_is_refused(server: LoopServer, fake_dns: Any) -> None:
    answers, lookups = fake_dns
    answers["elsewhere.example"] = ["127.0.0.1"]
    server.routes["/federation/v1/heads"] = redirect(
        server.url_for("elsewhere.example") + "/federation/v1/heads"
    )
    with client(allow_private=True) as c:
        refused("cross-host-redirect", lambda: c.get_heads(server.url))
    assert len(server.seen) == 1
    assert "elsewhere.example" not in lookups  # refused before any lookup


def test_redirect_to_another_port_is_refused(server: LoopServer, other_server: LoopServer) -> None:
    other_server.routes["/federation/v1/heads"] = heads_route
    server.routes["/federation/v1/heads"] = redirect(other_server.url + "/federation/v1/heads")
    with client(allow_private=True) as c:
        refused("cross-host-redirect", lambda: c.get_heads(server.url))
    assert other_server.seen == []


def test_redirect_to_a_private_address_is_refused(server: LoopServer, fake_dns: Any) -> None:
    """A redirect is re-checked like a fresh URL: here the same name now points inside."""
    answers, _ = fake_dns
    only_first = ipaddress.ip_address("127.0.0.1")
    answers["peer.example"] = ["127.0.0.1"]
    server.routes["/federation/v1/heads"] = redirect("http://169.254.169.254/latest/meta-data")
    with client(address_policy=lambda ip: ip == only_first) as c:
        refused("private-address", lambda: c.get_heads(server.url_for("peer.example")))


def test_redirect_loops_stop(server: LoopServer) -> None:
    server.routes["/federation/v1/heads"] = redirect("/federation/v1/heads")
    with client(allow_private=True, max_redirects=3) as c:
        refused("too-many-redirects", lambda: c.get_heads(server.url))
    assert len(server.seen) == 4  # the request and three redirects followed


# -- size caps and timeouts -----------------------------------------------------------------------


def test_announced_huge_body_is_refused_without_reading(server: LoopServer) -> None:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(10**12))
        handler.end_headers()
        handler.wfile.write(b"{")

    server.routes["/federation/v1/heads"] = route
    with client(allow_private=True, max_response_bytes=100_000) as c:
        refused("response-too-large", lambda: c.get_heads(server.url))


def test_endless_body_is_cut_at_the_cap(server: LoopServer) -> None:
    sent = {"bytes": 0}
    stopped = threading.Event()

    def route(handler: BaseHTTPRequestHandler) -> None:
        # Chunked, no length announced: the client can only stop by counting.
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        chunk = b" " * 65536
        try:
            while sent["bytes"] < 200 * 1024 * 1024 and not server.release.is_set():
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent["bytes"] += len(chunk)
        except OSError:
            pass
        finally:
            stopped.set()

    server.routes["/federation/v1/heads"] = route
    started = time.monotonic()
    with client(allow_private=True, max_response_bytes=256 * 1024) as c:
        err = refused("response-too-large", lambda: c.get_heads(server.url))
    assert time.monotonic() - started < 3
    assert "262144" in err.detail
    assert stopped.wait(5)
    assert sent["bytes"] < 200 * 1024 * 1024  # the client hung up long before the end


def test_compressed_body_is_capped_after_decompression(server: LoopServer) -> None:
    bomb = gzip.compress(b"0" * (16 * 1024 * 1024), 1)  # 16 MiB of zeros in about 70 KiB

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Encoding", "gzip")
        handler.send_header("Content-Length", str(len(bomb)))
        handler.end_headers()
        handler.wfile.write(bomb)

    server.routes["/federation/v1/heads"] = route
    with client(allow_private=True, max_response_bytes=1024 * 1024) as c:
        refused("response-too-large", lambda: c.get_heads(server.url))


def test_slow_server_times_out(server: LoopServer) -> None:
    def route(handler: BaseHTTPRequestHandler) -> None:
        server.release.wait(3)
        send_json(handler, 200, HEADS_DOC)

    server.routes["/federation/v1/heads"] = route
    started = time.monotonic()
    with client(allow_private=True, read_timeout=0.3) as c:
        refused("timeout", lambda: c.get_heads(server.url))
    assert time.monotonic() - started < 2


def test_dripping_server_hits_the_total_deadline(server: LoopServer) -> None:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        for _ in range(100):
            if server.release.wait(0.05):
                return
            handler.wfile.write(b" ")
            handler.wfile.flush()

    server.routes["/federation/v1/heads"] = route
    started = time.monotonic()
    with client(allow_private=True, read_timeout=0.3, total_timeout=0.5) as c:
        refused("timeout", lambda: c.get_heads(server.url))
    assert time.monotonic() - started < 2


# -- responses ------------------------------------------------------------------------------------


def test_problem_response_becomes_http_error_with_the_peer_reason(server: LoopServer) -> None:
    problem = {
        "type": "urn:spazi:problem:unknown-origin",
        "title": "Unknown origin",
        "status": 404,
        "detail": "this node does not carry that feed\x1b[31m",
    }
    server.routes[f"/federation/v1/feeds/{A}"] = lambda h: send_json(h, 404, problem)
    with client(allow_private=True) as c, pytest.raises(PeerHTTPError) as info:
        c.get_feed_page(server.url, A, 0, 10)
    err = info.value
    assert err.reason == "http-error"
    assert err.status == 404
    assert err.peer_reason == "unknown-origin"
    assert err.problem_title == "Unknown origin"
    assert err.problem_detail == "this node does not carry that feed [31m"  # no control chars
    assert "urn:spazi:problem:unknown-origin" in err.detail


def test_plain_error_status_is_http_error(server: LoopServer) -> None:
    server.routes["/federation/v1/heads"] = lambda h: send_json(
        h, 503, None, "text/html", raw=b"<h1>down</h1>"
    )
    with client(allow_private=True) as c, pytest.raises(PeerHTTPError) as info:
        c.get_heads(server.url)
    assert (info.value.reason, info.value.status, info.value.problem_type) == (
        "http-error",
        503,
        None,
    )


@pytest.mark.parametrize(
    "raw",
    [
        b'{"heads": {}, "heads": {}}',  # duplicate key
        b'{"heads": {"%s": {"seq": 1.5, "hash": null}}}' % A.encode(),  # float
        b'{"heads": {"did:web:evil": {"seq": 1, "hash": "%s"}}}' % HASH.encode(),
        b'{"heads": {"%s": {"seq": 2, "hash": "XYZ"}}}' % A.encode(),
        b"[1, 2]",
        b"not json",
        b"",
    ],
)
def test_malformed_responses_are_bad_response(server: LoopServer, raw: bytes) -> None:
    server.routes["/federation/v1/heads"] = lambda h: send_json(h, 200, None, raw=raw)
    with client(allow_private=True) as c:
        refused("bad-response", lambda: c.get_heads(server.url))


def test_feed_page_entry_and_forks(server: LoopServer) -> None:
    entries = dicts(build_feed(KEY_A, 3))
    page = {"origin": A, "entries": entries[1:], "head": {"seq": 3, "hash": HASH}}
    server.routes[f"/federation/v1/feeds/{A}"] = lambda h: send_json(h, 200, page)
    server.routes[f"/federation/v1/feeds/{A}/entries/2"] = lambda h: send_json(h, 200, entries[1])
    server.routes["/federation/v1/forks"] = lambda h: send_json(h, 200, {"forks": []})
    server.routes["/.well-known/spazi"] = lambda h: send_json(h, 200, {"id": A})
    with client(allow_private=True) as c:
        got = c.get_feed_page(server.url, A, 1, 2)
        assert got.origin == A and got.entries == entries[1:] and got.head == Head(3, HASH)
        assert c.get_entry(server.url, A, 2) == entries[1]
        assert c.get_forks(server.url) == []
        assert c.get_descriptor(server.url) == {"id": A}
    assert server.seen[0].path == f"/federation/v1/feeds/{A}?after=1&limit=2"


def test_feed_page_for_another_origin_is_bad_response(server: LoopServer) -> None:
    page: dict[str, Any] = {"origin": B, "entries": [], "head": None}
    server.routes[f"/federation/v1/feeds/{A}"] = lambda h: send_json(h, 200, page)
    with client(allow_private=True) as c:
        refused("bad-response", lambda: c.get_feed_page(server.url, A, 0, 10))


# -- signed POSTs ---------------------------------------------------------------------------------


def test_post_inbox_signs_the_final_request(server: LoopServer) -> None:
    def accept(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(202)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    server.routes["/federation/v1/inbox"] = accept
    signed: list[str] = []

    def sign(request: requests.PreparedRequest) -> None:
        assert request.body == b'{"from":"%s","type":"heads.changed"}' % A.encode()
        signed.append(str(request.url))
        request.headers["Signature"] = "sig1=:test:"

    with client(allow_private=True) as c:
        assert c.post_inbox(server.url, {"type": "heads.changed", "from": A}, sign) is None
    assert signed == [server.url + "/federation/v1/inbox"]
    seen = server.seen[0]
    assert (seen.method, seen.headers["Signature"]) == ("POST", "sig1=:test:")
    assert seen.headers["Content-Type"] == "application/json"
    assert json.loads(seen.body) == {"type": "heads.changed", "from": A}


def test_post_inbox_re_signs_after_a_307(server: LoopServer) -> None:
    server.routes["/federation/v1/inbox"] = redirect("/v2/inbox", 307)
    server.routes["/v2/inbox"] = lambda h: send_json(h, 202, {"accepted": True})
    signed: list[str] = []
    with client(allow_private=True) as c:
        reply = c.post_inbox(server.url, {"type": "x"}, lambda r: signed.append(str(r.url)))
    assert reply == {"accepted": True}
    assert signed == [server.url + "/federation/v1/inbox", server.url + "/v2/inbox"]
    assert server.seen[1].method == "POST" and server.seen[1].body == b'{"type":"x"}'


def test_post_is_not_turned_into_get_by_a_302(server: LoopServer) -> None:
    server.routes["/federation/v1/inbox"] = redirect("/elsewhere", 302)
    with client(allow_private=True) as c, pytest.raises(PeerHTTPError) as info:
        c.post_inbox(server.url, {"type": "x"}, lambda r: None)
    assert info.value.status == 302
    assert len(server.seen) == 1


def test_oversized_message_is_not_sent(server: LoopServer) -> None:
    with client(allow_private=True) as c:
        refused(
            "request-too-large",
            lambda: c.post_inbox(server.url, {"blob": "x" * (1024 * 1024)}, lambda r: None),
        )
    assert server.seen == []


# -- in-process routing ---------------------------------------------------------------------------


class CannedAdapter(BaseAdapter):
    """Answers every request in process, like a Flask test app adapter would."""

    def __init__(self, routes: dict[str, tuple[int, dict[str, str], bytes]]) -> None:
        super().__init__()
        self.routes = routes
        self.seen: list[str] = []

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        self.seen.append(str(request.url))
        path = str(request.path_url).split("?")[0]
        status, headers, body = self.routes.get(path, (404, {}, b""))
        response = requests.Response()
        response.status_code = status
        response.headers.update(headers)
        response.raw = io.BytesIO(body)
        response.url = str(request.url)
        response.request = request
        return response

    def close(self) -> None:
        pass


def test_mounted_local_origin_skips_dns_and_address_checks(fake_dns: Any) -> None:
    _, lookups = fake_dns
    adapter = CannedAdapter(
        {"/federation/v1/heads": (200, {"Content-Type": "application/json"}, b'{"heads": {}}')}
    )
    with client() as c:  # allow_private is off: only the registered origin is exempt
        c.mount_local("http://a.test", adapter)
        assert c.get_heads("http://a.test") == {}
        assert c.get_heads("http://A.TEST:80/") == {}
        assert c.is_local("http://a.test/x") and not c.is_local("https://a.test/x")
    assert lookups == []
    assert adapter.seen == [
        "http://a.test/federation/v1/heads",
        "http://a.test:80/federation/v1/heads",
    ]


def test_mount_local_does_not_cover_look_alike_hosts(fake_dns: Any) -> None:
    answers, _ = fake_dns
    answers["a.test.evil.example"] = ["127.0.0.1"]
    adapter = CannedAdapter({})
    with client() as c:
        c.mount_local("http://a.test", adapter)
        refused("private-address", lambda: c.get_heads("http://a.test.evil.example"))
        refused("private-address", lambda: c.get_heads("http://127.0.0.1"))
    assert adapter.seen == []


def test_local_origin_still_follows_the_redirect_and_size_rules() -> None:
    adapter = CannedAdapter(
        {
            "/federation/v1/heads": (302, {"Location": "http://b.test/federation/v1/heads"}, b""),
            "/federation/v1/forks": (200, {}, b'{"forks": []}' + b" " * 5000),
        }
    )
    with client(max_response_bytes=1000) as c:
        c.mount_local("http://a.test", adapter)
        c.mount_local("http://b.test", CannedAdapter({}))
        refused("cross-host-redirect", lambda: c.get_heads("http://a.test"))
        refused("response-too-large", lambda: c.get_forks("http://a.test"))


def test_mount_local_refuses_a_path() -> None:
    with client() as c:
        refused("bad-url", lambda: c.mount_local("http://a.test/app", CannedAdapter({})))


# -- TLS keeps the name -----------------------------------------------------------------------


def _certificate(tmp_path: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[LoopServer, Path, list[str | None]]]:
    cert_path, key_path = _certificate(tmp_path, "peer.example")
    sni: list[str | None] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    context.sni_callback = lambda sock, name, ctx: sni.append(name)  # type: ignore[assignment,misc,func-returns-value]

    def factory() -> LoopServer:
        server = _new_server()
        server.scheme = "https"
        server.httpd.socket = context.wrap_socket(server.httpd.socket, server_side=True)
        return server

    for server in _start(factory):
        yield server, cert_path, sni


def test_tls_verifies_the_peer_name_at_the_pinned_address(
    tls_server: tuple[LoopServer, Path, list[str | None]], fake_dns: Any
) -> None:
    server, cert_path, sni = tls_server
    answers, _ = fake_dns
    answers["peer.example"] = ["127.0.0.1"]
    answers["impostor.example"] = ["127.0.0.1"]
    server.routes["/federation/v1/heads"] = heads_route
    loopback_ok = ipaddress.ip_address("127.0.0.1")
    with client(address_policy=lambda ip: ip == loopback_ok, verify=str(cert_path)) as c:
        assert c.get_heads(server.url_for("peer.example"))[A] == Head(3, HASH)
        # Same address, another name: the certificate does not match, so the call fails.
        refused("connection-failed", lambda: c.get_heads(server.url_for("impostor.example")))
    assert sni[0] == "peer.example"
    assert server.seen[0].headers["Host"] == f"peer.example:{server.port}"


def test_conditional_heads_send_the_validator_back_and_read_a_304(server: LoopServer) -> None:
    etag = '"v1"'

    def route(handler: BaseHTTPRequestHandler) -> None:
        if handler.headers.get("If-None-Match") == etag:
            handler.send_response(304)
            handler.send_header("ETag", etag)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        body = json.dumps({"heads": {A: {"seq": 3, "hash": HASH}}}).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("ETag", etag)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    server.routes["/federation/v1/heads"] = route
    with client(allow_private=True) as c:
        assert c.get_heads_if_changed(server.url, None) == ({A: Head(3, HASH)}, etag)
        assert "If-None-Match" not in server.seen[-1].headers
        assert c.get_heads_if_changed(server.url, etag) == (None, etag)
        assert server.seen[-1].headers["If-None-Match"] == etag
        # A stale validator gets the whole document again.
        assert c.get_heads_if_changed(server.url, '"v0"') == ({A: Head(3, HASH)}, etag)


def test_a_304_nobody_asked_for_and_odd_validators_are_refused(server: LoopServer) -> None:
    def not_modified(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(304)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def odd_etag(handler: BaseHTTPRequestHandler) -> None:
        body = b'{"forks":[]}'
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("ETag", "unquoted, two values")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    server.routes["/federation/v1/heads"] = not_modified
    server.routes["/federation/v1/forks"] = odd_etag
    with client(allow_private=True) as c:
        refused("bad-response", lambda: c.get_heads_if_changed(server.url, None))
        refused("bad-response", lambda: c.get_heads(server.url))
        # A validator that is not an entity tag is never kept to be sent back.
        assert c.get_forks_if_changed(server.url, None) == ([], None)


def test_local_origins_are_told_apart_by_scheme_host_and_port(fake_dns: Any) -> None:
    answers, _ = fake_dns
    answers["a.test"] = ["127.0.0.1"]
    heads = {"/federation/v1/heads": (200, {"Content-Type": "application/json"}, b'{"heads": {}}')}
    plain, other_port, other_host = CannedAdapter(heads), CannedAdapter(heads), CannedAdapter(heads)
    with client() as c:
        c.mount_local("http://a.test", plain)
        c.mount_local("http://a.test:8080", other_port)
        c.mount_local("http://b.test", other_host)
        for name in range(200):  # many routes, as in an in-process network of many nodes
            c.mount_local(f"http://n{name}.test", CannedAdapter({}))
        assert c.get_heads("http://a.test:8080") == {}
        assert c.get_heads("http://B.test") == {}
        assert c.get_heads("http://a.test") == {}
        refused("private-address", lambda: c.get_heads("https://a.test"))  # not registered
    assert plain.seen == ["http://a.test/federation/v1/heads"]
    assert other_port.seen == ["http://a.test:8080/federation/v1/heads"]
    assert other_host.seen == ["http://b.test/federation/v1/heads"]
