"""CORS: the public reads (calendars, feeds, public API reads, federation documents) may be read
by a page on another origin, without credentials; admin pages, the admin API, the inbox and
every write never carry a CORS header."""

from __future__ import annotations

import pytest

from tests.support import SpaceNode

ELSEWHERE = {"Origin": "https://www.example-space.org"}
PUBLIC = [
    "/events.ics",
    "/feed.atom",
    "/network/events.ics",
    "/network/events.ics?city=Genova&district=Foce",
    "/network/embed/events?city=Genova&lang=it",
    "/api/v1/space",
    "/api/v1/events",
    "/api/v1/resources",
    "/api/v1/openapi.json",
    "/.well-known/spazi",
    "/.well-known/jwks.json",
    "/federation/v1/heads",
]


@pytest.mark.parametrize("path", PUBLIC)
def test_public_reads_may_be_read_from_another_site(space: SpaceNode, path: str) -> None:
    response = space.client.get(path, headers=ELSEWHERE)
    assert response.status_code == 200, path
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    preflight = space.client.options(
        path,
        headers={
            **ELSEWHERE,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "If-None-Match" in preflight.headers["Access-Control-Allow-Headers"]
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, HEAD"


def test_no_other_route_carries_a_cors_header(space: SpaceNode) -> None:
    """Every route of the app that is not a public read, asked with GET and with a preflight
    for a write, answers without Access-Control-Allow-Origin."""
    from node.http.cors import is_public_read

    checked = 0
    for rule in space.app.url_map.iter_rules():
        with space.app.app_context():  # marks are read from the app's blueprints and views
            public = is_public_read(rule.endpoint)
        if public or rule.endpoint == "static":
            continue
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<{name}>", "x").replace(f"<int:{name}>", "1")
        path = path.replace("<path:filename>", "x")
        for method in sorted(rule.methods - {"OPTIONS", "HEAD"}):
            call = getattr(space.client, method.lower())
            response = call(path, headers={**ELSEWHERE, **space.auth()})
            assert "Access-Control-Allow-Origin" not in response.headers, (method, path)
            checked += 1
        preflight = space.client.options(
            path, headers={**ELSEWHERE, "Access-Control-Request-Method": "POST"}
        )
        assert "Access-Control-Allow-Origin" not in preflight.headers, path
    assert checked > 20


def test_a_write_to_a_public_path_is_not_allowed_by_preflight(space: SpaceNode) -> None:
    preflight = space.client.options(
        "/api/v1/events", headers={**ELSEWHERE, "Access-Control-Request-Method": "POST"}
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers
    posted = space.client.post("/api/v1/events", json={}, headers=ELSEWHERE)
    assert "Access-Control-Allow-Origin" not in posted.headers
