"""Security headers on every kind of response: pages, JSON, problem+json, ICS, Atom, 404s and
redirects; a Content-Security-Policy on HTML that the pages' own markup satisfies."""

from __future__ import annotations

import re

import pytest

from tests.support import SpaceNode

EVENT = {"title": "Open day", "start": "2026-12-05T10:00", "end": "2026-12-05T16:00"}


@pytest.fixture
def listed(space: SpaceNode) -> SpaceNode:
    response = space.client.post("/api/v1/events", json=EVENT, headers=space.auth())
    assert response.status_code == 201, response.get_json()
    return space


def paths(space: SpaceNode, event_id: str) -> list[tuple[str, str, dict[str, str]]]:
    """(method, path, headers) of every route kind the node serves."""
    html = {"Accept": "text/html"}
    return [
        ("GET", "/", {}),
        ("GET", "/events", {}),
        ("GET", f"/events/{event_id}", {}),
        ("GET", f"/events/{event_id}/calendar.ics", {}),
        ("GET", "/events.ics", {}),
        ("GET", "/feed.atom", {}),
        ("GET", "/network", {}),
        ("GET", "/network/events.ics", {}),
        ("GET", "/admin", {}),  # a redirect to the login
        ("GET", "/admin/login", {}),
        ("GET", "/api/v1/space", {}),
        ("GET", "/api/v1/openapi.json", {}),
        ("GET", "/api/v1/members", {}),  # 401 problem+json
        ("GET", "/.well-known/spazi", {}),
        ("GET", "/.well-known/jwks.json", {}),
        ("GET", "/federation/v1/heads", {}),
        ("GET", f"/federation/v1/feeds/{space.id}", {}),
        ("GET", "/federation/v1/feeds/did:key:nobody", {}),  # 404 problem+json
        ("POST", "/federation/v1/inbox", {"Content-Type": "text/plain"}),  # 415
        ("GET", "/no/such/page", html),  # 404 HTML page
        ("GET", "/no/such/thing", {"Accept": "application/json"}),  # 404 problem+json
        ("DELETE", "/", {}),  # 405
        ("GET", "/static/spazi.css", {}),
    ]


def test_every_response_carries_the_security_headers(listed: SpaceNode) -> None:
    event_id = listed.client.get("/api/v1/events").get_json()["events"][0]["id"]
    seen_kinds = set()
    for method, path, headers in paths(listed, event_id):
        response = listed.client.open(path, method=method, headers=headers)
        seen_kinds.add(response.mimetype)
        where = f"{method} {path} ({response.status_code} {response.mimetype})"
        assert response.headers.get("X-Content-Type-Options") == "nosniff", where
        assert response.headers.get("Referrer-Policy") == "same-origin", where
        assert response.headers.get("X-Frame-Options") == "DENY", where
        csp = response.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp, where
        assert "default-src 'none'" in csp, where
        # HSTS belongs to the TLS end (deploy/nginx.conf), never the app.
        assert "Strict-Transport-Security" not in response.headers, where
    assert {
        "text/html",
        "application/json",
        "application/problem+json",
        "text/calendar",
        "application/atom+xml",
        "text/css",
    } <= seen_kinds


def test_the_pages_need_nothing_the_policy_forbids(listed: SpaceNode) -> None:
    """No inline script or style, no event handler attributes, no outside resources: the strict
    policy does not break the pages (JSON-LD blocks are data, never run)."""
    event_id = listed.client.get("/api/v1/events").get_json()["events"][0]["id"]
    for path in ("/", "/events", f"/events/{event_id}", "/admin/login", "/network"):
        response = listed.client.get(path)
        html = response.get_data(as_text=True)
        csp = response.headers["Content-Security-Policy"]
        assert "style-src 'self'" in csp and "form-action 'self'" in csp, path
        assert "unsafe-inline" not in csp, path
        for script in re.findall(r"<script([^>]*)>", html):
            assert 'type="application/ld+json"' in script, (path, script)
        assert "<style" not in html and " style=" not in html, path
        assert not re.search(r"\son[a-z]+=", html), path
        assert not re.search(r'(?:src|href)="(?:https?:)?//(?!a\.test)', html.split("</head>")[0])
