"""The one HTTP client every outbound call of a node goes through (protocol.md
§Security considerations, items 1 and 5).

:class:`PeerClient` wraps a ``requests.Session`` and applies the same rules to every call:

- only ``http``/``https`` URLs without credentials (:func:`~federation.transport.safety.check_url`);
- connections only to public addresses, checked at connect time against the very address used
  (:class:`~federation.transport.safety.GuardedHTTPAdapter`), unless ``allow_private``;
- redirects followed by hand: same host only, at most ``max_redirects``, each one re-checked;
- connect and read timeouts on every call, plus a total deadline that a slowly dripping server
  cannot stretch;
- bodies read as a stream and abandoned as soon as they pass the size cap;
- JSON parsed with :func:`~federation.canonical.parse_strict`;
- RFC 9457 problem documents turned into :class:`PeerHTTPError`.

Every refusal is a :class:`~federation.errors.TransportError` with a stable ``reason``:
``bad-url``, ``private-address``, ``cross-host-redirect``, ``too-many-redirects``,
``response-too-large``, ``request-too-large``, ``timeout``, ``connection-failed``,
``bad-response`` and ``http-error`` (a :class:`PeerHTTPError` carrying the status).

In-process networks (tests, the convergence benchmark) route a host to a Flask app through a
``requests`` adapter: :meth:`PeerClient.mount_local` registers the exact origin as in-process, so
no DNS lookup or address check happens for it. Every other URL still goes through the guard.
"""

from __future__ import annotations

import http.cookiejar
import re
import time
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import quote, urljoin

import requests
from requests.adapters import BaseAdapter
from urllib3.exceptions import DecodeError, HTTPError, ReadTimeoutError
from urllib3.response import HTTPResponse
from urllib3.util import parse_url

from federation.canonical import canonicalize, parse_strict
from federation.errors import CanonicalError, TransportError
from federation.feeds import Head
from federation.keys import is_node_id
from federation.photos import (
    MAX_PHOTO_BYTES,
    PHOTO_TYPES,
    check_fetched_photo,
    check_photo_bytes,
)
from federation.sync import FeedPage
from federation.transport.safety import (
    AddressPolicy,
    GuardedHTTPAdapter,
    Target,
    address_allowed,
    check_url,
    parse_ip,
)

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 15.0
DEFAULT_TOTAL_TIMEOUT = 60.0
MAX_RESPONSE_BYTES = 8 * 1024 * 1024  # a feed page of up to 1000 entries (protocol.md)
MAX_ERROR_BODY_BYTES = 64 * 1024
MAX_REQUEST_BYTES = 1024 * 1024
DEFAULT_MAX_REDIRECTS = 3
USER_AGENT = "spazi/1"

PROBLEM_TYPE_PREFIX = "urn:spazi:problem:"
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_BODY_KEEPING_REDIRECTS = frozenset({307, 308})
_HASH = re.compile(r"[0-9a-f]{64}")
# An entity tag as a peer may send it back in If-None-Match: quoted, printable, short.
_ETAG = re.compile(r'(W/)?"[\x21\x23-\x7e]{1,128}"')
_CHUNK = 64 * 1024

Signer = Callable[[requests.PreparedRequest], None]


class PeerHTTPError(TransportError):
    """A peer answered with an HTTP error status (reason ``http-error``).

    When the peer sent an RFC 9457 problem document, its ``type``, ``title`` and ``detail`` are
    kept (shortened and stripped of control characters: they end up in logs and on admin pages);
    ``peer_reason`` is the Spazi reason when ``type`` is ``urn:spazi:problem:<reason>``.
    """

    reason = "http-error"

    def __init__(self, status: int, url: str, problem: Mapping[str, Any] | None = None) -> None:
        self.status = status
        self.url = url
        self.problem_type = _peer_text(problem.get("type")) if problem else None
        self.problem_title = _peer_text(problem.get("title")) if problem else None
        self.problem_detail = _peer_text(problem.get("detail")) if problem else None
        self.peer_reason: str | None = None
        if self.problem_type and self.problem_type.startswith(PROBLEM_TYPE_PREFIX):
            self.peer_reason = self.problem_type[len(PROBLEM_TYPE_PREFIX) :]
        detail = f"HTTP {status} from {url}"
        if self.problem_type:
            detail += f": {self.problem_type}"
            if self.problem_detail:
                detail += f" ({self.problem_detail})"
        super().__init__("http-error", detail)


def _peer_text(value: Any, limit: int = 500) -> str | None:
    if not isinstance(value, str):
        return None
    cleaned = "".join(ch if ch.isprintable() else " " for ch in value)
    return cleaned[:limit]


class _RoutedSession(requests.Session):
    """A ``requests`` session whose in-process routes are looked up by exact origin.

    ``Session.mount`` keeps its prefixes sorted by length and re-sorts them on every mount, and
    ``get_adapter`` scans them all: with one route per node of an in-process network, building a
    client was O(N²) and every request O(N). Here a route is one dict entry keyed by the origin
    ``check_url`` reads, so both are O(1); every other URL goes to the mounted adapters as before.
    """

    def __init__(self) -> None:
        super().__init__()
        self.local: dict[tuple[str, str, int], BaseAdapter] = {}

    def get_adapter(self, url: str) -> BaseAdapter:
        if self.local:
            try:
                adapter = self.local.get(check_url(url).origin)
            except TransportError:
                adapter = None  # not a URL we route; the guard refuses it as usual
            if adapter is not None:
                return adapter
        return super().get_adapter(url)

    def close(self) -> None:
        super().close()
        for adapter in self.local.values():
            adapter.close()


class PeerClient:
    """Outbound HTTP for one node: federation calls with the safety rules applied to each.

    ``allow_private`` is the node's ``SPAZI_ALLOW_PRIVATE_PEERS`` setting (local networks and
    tests). ``address_policy`` replaces the public-address test entirely (tests only). ``verify``
    is passed to requests (a CA bundle path for tests with a private CA). The client is meant to
    be used from one thread at a time, like the scheduler job that owns it.
    """

    def __init__(
        self,
        *,
        allow_private: bool = False,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        total_timeout: float = DEFAULT_TOTAL_TIMEOUT,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        max_redirects: int = DEFAULT_MAX_REDIRECTS,
        verify: bool | str = True,
        user_agent: str = USER_AGENT,
        address_policy: AddressPolicy | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.total_timeout = total_timeout
        self.max_response_bytes = max_response_bytes
        self.max_redirects = max_redirects
        if address_policy is None:
            address_policy = _allow_any if allow_private else address_allowed
        self._policy = address_policy
        self._local_origins: set[tuple[str, str, int]] = set()
        session = _RoutedSession()
        # No proxies, .netrc credentials or CA bundles from the environment: through a proxy the
        # address check would see the proxy, and a peer must never receive our credentials.
        session.trust_env = False
        session.verify = verify
        # Peers are stateless APIs; a cookie set by one must never travel with later requests.
        session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        session.headers["User-Agent"] = user_agent
        session.headers["Accept"] = "application/json, application/problem+json"
        self._guard = GuardedHTTPAdapter(address_policy)
        session.mount("http://", self._guard)
        session.mount("https://", self._guard)
        self._session = session

    # -- lifecycle -----------------------------------------------------------------------------

    def close(self) -> None:
        """Close pooled connections."""
        self._session.close()

    def __enter__(self) -> PeerClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- in-process routing --------------------------------------------------------------------

    def mount_local(self, prefix: str, adapter: BaseAdapter) -> None:
        """Route the origin ``prefix`` (``scheme://host[:port]``) to ``adapter``, in process.

        The origin is registered as local: requests to it skip DNS and the address check (there
        is no network). Only that exact origin is affected; the adapter is mounted with a trailing
        slash so ``http://a.test.evil.example`` never matches ``http://a.test``. Redirect, size
        and parsing rules still apply to local origins.
        """
        target = check_url(prefix)
        path = parse_url(prefix).path or ""
        if path not in ("", "/"):
            raise TransportError("bad-url", "mount_local takes an origin without a path")
        self._local_origins.add(target.origin)
        # Matched by exact origin (scheme, host, port), never by prefix: see _RoutedSession.
        self._session.local[target.origin] = adapter

    def is_local(self, url: str) -> bool:
        """True when ``url`` goes to an origin registered with :meth:`mount_local`."""
        return check_url(url).origin in self._local_origins

    # -- generic requests ----------------------------------------------------------------------

    def get_json(self, url: str, *, max_bytes: int | None = None) -> Any:
        """GET ``url`` and return its body parsed with ``parse_strict``."""
        return self._request_json("GET", url, max_bytes=max_bytes)

    def get_bytes(
        self, url: str, *, max_bytes: int | None = None, accept: str | None = None
    ) -> tuple[bytes, str]:
        """GET ``url`` under the same rules as every call; return (body, final URL). For
        documents that are not the protocol's JSON, such as an imported calendar."""
        cap = self.max_response_bytes if max_bytes is None else max_bytes
        headers = {"Accept": accept} if accept else None
        return self._exchange("GET", url, None, headers, None, cap)

    def _request_json(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        sign: Signer | None = None,
        max_bytes: int | None = None,
        allow_empty: bool = False,
    ) -> Any:
        cap = self.max_response_bytes if max_bytes is None else max_bytes
        data, final_url = self._exchange(method, url, body, headers, sign, cap)
        if not data.strip():
            if allow_empty:
                return None
            raise TransportError("bad-response", f"empty body from {final_url}")
        try:
            return parse_strict(data, max_bytes=cap)
        except CanonicalError as exc:
            raise TransportError(
                "bad-response", f"{final_url} sent invalid JSON: {exc.reason}: {exc.detail}"
            ) from exc

    def _check_target(self, url: str) -> Target:
        target = check_url(url)
        if target.origin in self._local_origins:
            return target
        # An IP literal can be judged before any connection is attempted; names are judged by
        # the adapter at connect time, against the address actually used.
        literal = parse_ip(target.host)
        if literal is not None and not self._policy(literal):
            raise TransportError("private-address", f"{literal} is not a public address")
        return target

    def _exchange(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str] | None,
        sign: Signer | None,
        cap: int,
        meta: dict[str, Any] | None = None,
    ) -> tuple[bytes, str]:
        """Send one logical request, following allowed redirects; return (body, final URL).

        With ``meta``, a ``304 Not Modified`` is an answer (empty body) rather than an error,
        and ``meta`` receives the final ``status`` and the ``etag`` header (None without one).
        """
        deadline = time.monotonic() + self.total_timeout
        target = self._check_target(url)
        for _hop in range(self.max_redirects + 1):
            prepared = self._session.prepare_request(
                requests.Request(method, target.url, data=body, headers=dict(headers or {}))
            )
            if prepared.url is None:  # pragma: no cover - requests always sets it
                raise TransportError("bad-url", "request has no URL")
            self._check_routing(target, prepared.url)
            if sign is not None:
                sign(prepared)
            response = self._send(prepared, target, deadline)
            try:
                if response.status_code in _REDIRECT_STATUSES and "location" in response.headers:
                    if method != "GET" and response.status_code not in _BODY_KEEPING_REDIRECTS:
                        # 301/302/303 would turn the request into a GET without its body.
                        raise PeerHTTPError(response.status_code, target.url)
                    target = self._redirect_target(target, response.headers["location"])
                    continue
                if meta is not None:
                    meta["status"] = response.status_code
                    meta["etag"] = response.headers.get("etag")
                    if response.status_code == 304:
                        return b"", target.url
                if not 200 <= response.status_code < 300:
                    raise self._http_error(response, target.url, deadline)
                return self._read_capped(response, cap, deadline, target.url), target.url
            finally:
                response.close()
        raise TransportError(
            "too-many-redirects", f"{url} redirected more than {self.max_redirects} times"
        )

    def _check_routing(self, target: Target, prepared_url: str) -> None:
        # Belt and braces: a non-local URL must be handled by the guard, never by an in-process
        # adapter whose prefix happens to match, nor by anything mounted behind our back.
        adapter = self._session.get_adapter(prepared_url)
        if target.origin not in self._local_origins and adapter is not self._guard:
            raise TransportError("bad-url", f"{target.url} is not routed through the guard")

    def _send(
        self, prepared: requests.PreparedRequest, target: Target, deadline: float
    ) -> requests.Response:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TransportError("timeout", f"{target.url}: total time limit reached")
        timeout = (min(self.connect_timeout, remaining), min(self.read_timeout, remaining))
        try:
            return self._session.send(prepared, stream=True, allow_redirects=False, timeout=timeout)
        except TransportError:
            raise
        except requests.exceptions.Timeout as exc:
            raise TransportError("timeout", f"{target.url}: {exc}") from exc
        except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema) as exc:
            raise TransportError("bad-url", f"{target.url}: {exc}") from exc
        except requests.exceptions.RequestException as exc:
            if _is_timeout(exc):
                raise TransportError("timeout", f"{target.url}: {exc}") from exc
            raise TransportError("connection-failed", f"{target.url}: {exc}") from exc

    def _redirect_target(self, current: Target, location: str) -> Target:
        """Where a redirect leads, if it stays on the same host; re-checked like a fresh URL."""
        nxt = self._check_target(urljoin(current.url, location))
        same_origin = nxt.origin == current.origin
        # http → https on the same host with default ports is the one scheme change allowed.
        upgrade = (
            current.scheme == "http"
            and nxt.scheme == "https"
            and nxt.host == current.host
            and current.port == 80
            and nxt.port == 443
        )
        if not (same_origin or upgrade):
            raise TransportError(
                "cross-host-redirect", f"{current.url} redirects to another host: {nxt.url}"
            )
        return nxt

    def _read_capped(
        self, response: requests.Response, cap: int, deadline: float, url: str
    ) -> bytes:
        """Read the body as a stream, giving up as soon as it passes ``cap`` bytes."""
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise TransportError(
                "response-too-large", f"{url} announces {declared} bytes, limit {cap}"
            )
        buffer = bytearray()
        try:
            for chunk in _body_chunks(response):
                buffer += chunk
                if len(buffer) > cap:
                    raise TransportError("response-too-large", f"{url} sent more than {cap} bytes")
                if time.monotonic() > deadline:
                    raise TransportError("timeout", f"{url}: total time limit reached")
        except TransportError:
            raise
        except (requests.exceptions.ContentDecodingError, DecodeError) as exc:
            raise TransportError("bad-response", f"{url}: {exc}") from exc
        except (requests.exceptions.RequestException, HTTPError, OSError) as exc:
            if _is_timeout(exc):
                raise TransportError("timeout", f"{url}: {exc}") from exc
            raise TransportError("connection-failed", f"{url}: {exc}") from exc
        return bytes(buffer)

    def _http_error(self, response: requests.Response, url: str, deadline: float) -> PeerHTTPError:
        problem: Mapping[str, Any] | None = None
        media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type in ("application/problem+json", "application/json"):
            try:
                doc = parse_strict(
                    self._read_capped(response, MAX_ERROR_BODY_BYTES, deadline, url),
                    max_bytes=MAX_ERROR_BODY_BYTES,
                )
            except (TransportError, CanonicalError):
                doc = None  # the status alone still says what happened
            if isinstance(doc, Mapping):
                problem = doc
        return PeerHTTPError(response.status_code, url, problem)

    # -- federation calls ----------------------------------------------------------------------

    def get_descriptor(self, url: str) -> dict[str, Any]:
        """``GET /.well-known/spazi`` of the node at base URL ``url`` (unverified document)."""
        return _expect_object(self.get_json(endpoint(url, "/.well-known/spazi")), "descriptor")

    def get_jwks(self, url: str) -> dict[str, Any]:
        """``GET /.well-known/jwks.json`` of the node at base URL ``url``."""
        return _expect_object(self.get_json(endpoint(url, "/.well-known/jwks.json")), "JWKS")

    def get_heads(self, url: str) -> dict[str, Head]:
        """``GET /federation/v1/heads``: origin → head for every feed the peer serves."""
        heads, _validator = self.get_heads_if_changed(url, None)
        assert heads is not None  # without a validator there is no 304
        return heads

    def get_heads_if_changed(
        self, url: str, validator: str | None
    ) -> tuple[dict[str, Head] | None, str | None]:
        """``GET /federation/v1/heads`` with ``If-None-Match: validator`` when one is given
        (protocol.md §Heads): ``(None, validator)`` when the peer answers 304 (its heads are
        those of the document that validator came with), else the heads and the new document's
        validator (None when the peer sends none)."""
        doc, etag = self._get_conditional(endpoint(url, "/federation/v1/heads"), validator)
        if doc is None:
            return None, validator
        heads = _expect_object(doc, "heads").get("heads")
        if not isinstance(heads, Mapping):
            raise TransportError("bad-response", "heads response has no heads object")
        result: dict[str, Head] = {}
        for origin, head in heads.items():
            if not is_node_id(origin):
                raise TransportError("bad-response", f"heads names {origin[:80]!r}, not a node id")
            result[origin] = _parse_head(head)
        return result, etag

    def _get_conditional(self, url: str, validator: str | None) -> tuple[Any, str | None]:
        """GET ``url`` as :meth:`get_json`, conditional on ``validator``: (None, validator) on
        304, else (the parsed body, its ``ETag``)."""
        headers = {"If-None-Match": validator} if validator else None
        meta: dict[str, Any] = {}
        cap = self.max_response_bytes
        data, final_url = self._exchange("GET", url, None, headers, None, cap, meta)
        if meta.get("status") == 304:
            if not validator:
                raise TransportError("bad-response", f"{final_url} answered 304 unasked")
            return None, validator
        if not data.strip():
            raise TransportError("bad-response", f"empty body from {final_url}")
        try:
            doc = parse_strict(data, max_bytes=cap)
        except CanonicalError as exc:
            raise TransportError(
                "bad-response", f"{final_url} sent invalid JSON: {exc.reason}: {exc.detail}"
            ) from exc
        etag = meta.get("etag")
        # A validator is echoed back verbatim; anything odd is dropped, never sent on.
        return doc, etag if isinstance(etag, str) and _ETAG.fullmatch(etag) else None

    def get_feed_page(self, url: str, origin: str, after: int, limit: int) -> FeedPage:
        """``GET /federation/v1/feeds/<origin>?after=N&limit=M``: entries are left unverified."""
        if not is_node_id(origin):
            raise TransportError("bad-url", "origin is not a node id")
        path = (
            f"/federation/v1/feeds/{quote(origin, safe=':')}?after={int(after)}&limit={int(limit)}"
        )
        doc = _expect_object(self.get_json(endpoint(url, path)), "feed page")
        if doc.get("origin") != origin:
            raise TransportError("bad-response", "feed page is for another origin")
        entries = doc.get("entries")
        if not isinstance(entries, list):
            raise TransportError("bad-response", "feed page has no entries list")
        head = _parse_head(doc["head"]) if doc.get("head") is not None else None
        # Detached bodies are checked against the entries' hashes once the page verifies.
        return FeedPage(origin=origin, entries=entries, head=head, detached=doc.get("detached"))

    def get_entry(self, url: str, origin: str, seq: int) -> dict[str, Any]:
        """``GET /federation/v1/feeds/<origin>/entries/<seq>``: one unverified entry document."""
        if not is_node_id(origin):
            raise TransportError("bad-url", "origin is not a node id")
        path = f"/federation/v1/feeds/{quote(origin, safe=':')}/entries/{int(seq)}"
        return _expect_object(self.get_json(endpoint(url, path)), "entry")

    def get_forks(self, url: str) -> list[dict[str, Any]]:
        """``GET /federation/v1/forks``: fork proofs the peer holds (verify before use)."""
        forks, _validator = self.get_forks_if_changed(url, None)
        assert forks is not None  # without a validator there is no 304
        return forks

    def get_forks_if_changed(
        self, url: str, validator: str | None
    ) -> tuple[list[dict[str, Any]] | None, str | None]:
        """``GET /federation/v1/forks``, conditional like :meth:`get_heads_if_changed`."""
        doc, etag = self._get_conditional(endpoint(url, "/federation/v1/forks"), validator)
        if doc is None:
            return None, validator
        forks = _expect_object(doc, "forks").get("forks")
        if not isinstance(forks, list) or not all(isinstance(f, dict) for f in forks):
            raise TransportError("bad-response", "forks response has no list of proofs")
        return forks, etag

    def get_photo(self, url: str, descriptor: Mapping[str, Any]) -> bytes:
        """``GET /federation/v1/photos/<hash>``: the file a signed photo descriptor names,
        checked against it (size cap = the declared size; ``PhotoMismatch`` otherwise)."""
        digest = descriptor["hash"]
        if not isinstance(digest, str) or _HASH.fullmatch(digest) is None:
            raise TransportError("bad-url", "a photo hash is 64 lowercase hex characters")
        data, _final = self.get_bytes(
            endpoint(url, f"/federation/v1/photos/{digest}"),
            max_bytes=min(int(descriptor["size"]), MAX_PHOTO_BYTES),
            accept=str(descriptor["type"]),
        )
        check_photo_bytes(data, descriptor)
        return data

    def get_photo_file(self, url: str, digest: str) -> tuple[bytes, str]:
        """``GET /federation/v1/photos/<hash>`` for any record naming ``digest``: the bytes and
        their sniffed media type, checked against the hash only (size cap = the protocol's
        largest photo file; ``PhotoMismatch`` otherwise)."""
        if not isinstance(digest, str) or _HASH.fullmatch(digest) is None:
            raise TransportError("bad-url", "a photo hash is 64 lowercase hex characters")
        data, _final = self.get_bytes(
            endpoint(url, f"/federation/v1/photos/{digest}"),
            max_bytes=MAX_PHOTO_BYTES,
            accept=", ".join(PHOTO_TYPES),
        )
        return data, check_fetched_photo(data, digest)

    def post_inbox(self, url: str, message: Mapping[str, Any], sign: Signer) -> Any:
        """``POST /federation/v1/inbox`` with ``message`` as canonical JSON, signed by ``sign``.

        ``sign`` receives the fully prepared request (URL, headers, body final) and adds the RFC
        9421 signature headers; it is called again if a 307/308 same-host redirect changes the
        URL. Returns the parsed response body, or None when the peer sent none (202).
        """
        body = canonicalize(message)
        if len(body) > MAX_REQUEST_BYTES:
            raise TransportError(
                "request-too-large", f"message is {len(body)} bytes, limit {MAX_REQUEST_BYTES}"
            )
        headers = {"Content-Type": "application/json"}
        return self._request_json(
            "POST",
            endpoint(url, "/federation/v1/inbox"),
            body=body,
            headers=headers,
            sign=sign,
            allow_empty=True,
        )


def _body_chunks(response: requests.Response) -> Iterator[bytes]:
    """The body in pieces as they arrive, so caps and the deadline are checked between reads.

    urllib3's ``read1`` returns after a single receive; ``iter_content`` would block until a
    whole chunk arrived, which lets a server dripping one byte at a time outlast the deadline.
    In-process adapters hand other raw objects; ``iter_content`` is fine for those.
    """
    raw = response.raw
    if isinstance(raw, HTTPResponse):
        while chunk := raw.read1(_CHUNK, decode_content=True):
            yield chunk
    else:
        yield from response.iter_content(_CHUNK)


def _allow_any(_ip: Any) -> bool:
    return True


def _is_timeout(exc: BaseException) -> bool:
    """True when a requests/urllib3 error chain is really a read or connect timeout."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, requests.exceptions.Timeout | ReadTimeoutError | TimeoutError):
            return True
        stack.extend(arg for arg in current.args if isinstance(arg, BaseException))
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                stack.append(linked)
    return False


def endpoint(base_url: str, path: str) -> str:
    """``path`` under a peer's base URL (which may itself have a path, but no query)."""
    parsed = parse_url(base_url)
    if parsed.query is not None or parsed.fragment is not None:
        raise TransportError("bad-url", "a peer base URL has no query or fragment")
    return base_url.rstrip("/") + path


def _expect_object(doc: Any, what: str) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise TransportError("bad-response", f"{what} is not a JSON object")
    return doc


def _parse_head(doc: Any) -> Head:
    if not isinstance(doc, Mapping):
        raise TransportError("bad-response", "a head is an object with seq and hash")
    seq, digest = doc.get("seq"), doc.get("hash")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise TransportError("bad-response", "head seq must be a non-negative integer")
    if seq == 0:
        if digest is not None:
            raise TransportError("bad-response", "an empty feed's head has no hash")
        return Head()
    if not isinstance(digest, str) or not _HASH.fullmatch(digest):
        raise TransportError("bad-response", "head hash must be 64 lowercase hex characters")
    return Head(seq, digest)
