"""One WSGI app in front of every hosted space: the ``Host`` header chooses the space's own app.

Each space's Flask app is made by ``create_app`` on the first request for its host and kept: its
own settings (from its ``spazi.toml`` alone), database, key, secret key (so its own session
cookies and CSRF tokens), the scheduler left off (``spazi hub worker`` runs the jobs). A host no
space has is a 404 problem document that names no hosted space. ``hub.toml`` is read again when
it changes, so ``spazi hub add`` and ``remove`` take effect without a restart
(ARCHITECTURE.md §Hosting many spaces).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from node.hub.spaces import Hosted, HubError, hosted_spaces, hub_file
from node.hub.templates import SharedTemplateCode

log = logging.getLogger("spazi.hub")
WSGIEnviron = dict[str, Any]
StartResponse = Callable[..., Any]
# How often, at most, a request looks whether hub.toml changed (one stat).
REFRESH_S = 1.0


def request_host(environ: Mapping[str, Any]) -> str:
    """The host a request names (``Host``, else the server's name): lower case, no port."""
    host = str(environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or "").strip().lower()
    if host.startswith("["):  # an IPv6 literal, [::1]:8080
        return host[: host.find("]") + 1]
    return host.rpartition(":")[0] if ":" in host else host.rstrip(".")


def _problem(start_response: StartResponse, status: int, title: str, detail: str) -> list[bytes]:
    """An RFC 9457 problem document, answered by the hub itself (no space's app)."""
    reason = {404: "not-found", 503: "unavailable"}[status]
    body = json.dumps(
        {"type": f"urn:spazi:problem:{reason}", "title": title, "status": status, "detail": detail}
    ).encode()
    headers = [
        ("Content-Type", "application/problem+json"),
        ("Content-Length", str(len(body))),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
        ("Content-Security-Policy", "default-src 'none'"),
    ]
    if status == 503:
        headers.append(("Retry-After", "5"))
    phrase = {404: "NOT FOUND", 503: "SERVICE UNAVAILABLE"}[status]
    start_response(f"{status} {phrase}", headers)
    return [body]


class HubApp:
    """The hub's WSGI app. ``options`` go to every space's ``create_app`` (tests pass a clock)."""

    def __init__(self, hub_dir: Path, options: Mapping[str, Any] | None = None) -> None:
        self.hub_dir = Path(hub_dir).resolve()
        self.options = dict(options or {})
        self.templates = SharedTemplateCode()
        self._lock = threading.Lock()
        self._apps: dict[str, Flask] = {}
        self._spaces: dict[str, Hosted] = {}
        self._stamp: tuple[int, int] | None = None
        self._checked = 0.0
        self.load()

    @property
    def spaces(self) -> dict[str, Hosted]:
        """Host → hosted space, as last read from ``hub.toml``."""
        return dict(self._spaces)

    def _file_stamp(self) -> tuple[int, int]:
        stat = os.stat(hub_file(self.hub_dir))
        return stat.st_mtime_ns, stat.st_size

    def load(self) -> None:
        """Read ``hub.toml`` (a :class:`HubError` when it is wrong, the old list kept)."""
        stamp = self._file_stamp()
        spaces = {space.host: space for space in hosted_spaces(self.hub_dir)}
        with self._lock:
            for host, app in list(self._apps.items()):
                if spaces.get(host) != self._spaces.get(host):  # removed, or another data dir
                    del self._apps[host]
                    app.extensions["spazi"].close()
            self._spaces, self._stamp = spaces, stamp

    def refresh(self) -> None:
        """Read ``hub.toml`` again if it changed since (looked at once per ``REFRESH_S``)."""
        now = time.monotonic()
        if now - self._checked < REFRESH_S:
            return
        self._checked = now
        try:
            if self._file_stamp() != self._stamp:
                self.load()
        except (HubError, OSError) as exc:  # keep serving what was there
            log.error("hub.toml not reloaded: %s", exc)

    def app_for(self, host: str) -> Flask | None:
        """The app of the space at ``host`` (made on first use), or None if none is hosted."""
        app = self._apps.get(host)
        if app is not None:
            return app
        with self._lock:
            app = self._apps.get(host)
            space = self._spaces.get(host)
            if app is None and space is not None:
                app = self._make(space)
                self._apps[host] = app
            return app

    def _make(self, space: Hosted) -> Flask:
        from node.app import create_app

        config = {
            **self.options,
            "data_dir": str(space.data_dir),
            "environ": {},  # spazi.toml only: node.hub.spaces.describe says why
            "hosted": True,
            "scheduler": False,  # spazi hub worker runs the jobs
        }
        app = create_app(config)
        app.jinja_env.bytecode_cache = self.templates
        log.info("serving %s from %s", space.host, space.data_dir)
        return app

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        self.refresh()
        host = request_host(environ)
        try:
            app = self.app_for(host)
        except Exception:
            # The space's data dir or database is broken: its problem, logged for the operator;
            # the answer names nothing of it and the other spaces go on.
            log.exception("the space at %s cannot be opened", host)
            return _problem(
                start_response, 503, "Unavailable", "This space cannot be served right now."
            )
        if app is None:
            return _problem(start_response, 404, "Not Found", "No space is hosted at this address.")
        return app(environ, start_response)

    def loaded(self) -> list[str]:
        """The hosts whose app has been made."""
        return sorted(self._apps)

    def close(self) -> None:
        with self._lock:
            for app in self._apps.values():
                app.extensions["spazi"].close()
            self._apps.clear()


def create_hub_app(hub_dir: str | None = None, options: Mapping[str, Any] | None = None) -> HubApp:
    """The hub in ``hub_dir`` (or ``SPAZI_HUB_DIR``) as a WSGI app."""
    chosen = hub_dir or os.environ.get("SPAZI_HUB_DIR", "")
    if not chosen:
        raise HubError("no hub: pass --hub DIR or set SPAZI_HUB_DIR")
    return HubApp(Path(chosen), options)
