"""The JSON API through the Flask test client, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from federation.canonical import parse_strict
from federation.feeds import Head, verify_page
from federation.keyring import Keyring
from tests.support import SpaceNode

DESK = {
    "kind": "hot_desk",
    "name": "Hot desk",
    "capacity": 12,
    "price_day_minor": 2500,
    "currency": "GBP",
}
EVENT = {
    "title": "Community breakfast",
    "start": "2026-12-01T09:00",
    "end": "2026-12-01T10:30",
    "tags": ["food", "Community"],
}


def _feed(space: SpaceNode) -> list:
    page = parse_strict(space.client.get(f"/federation/v1/feeds/{space.id}?limit=1000").data)
    return verify_page(
        space.id, Head(), page["entries"], Keyring(), space.node.now_ms(), checked=True
    )


def test_space_profile_is_public(space: SpaceNode) -> None:
    response = space.client.get("/api/v1/space")
    assert response.status_code == 200
    data = response.get_json()
    assert data["name"] == "TheCube"
    assert data["node_id"] == space.id
    assert data["timezone"] == "Europe/London"


def test_resource_lifecycle_publishes_signed_entries(space: SpaceNode) -> None:
    created = space.client.post("/api/v1/resources", json=DESK, headers=space.auth())
    assert created.status_code == 201, created.get_json()
    rid = created.get_json()["id"]
    assert rid.startswith("hot-desk-")

    listed = space.client.get("/api/v1/resources").get_json()["resources"]
    assert [r["id"] for r in listed] == [rid]

    patched = space.client.patch(
        f"/api/v1/resources/{rid}", json={"capacity": 20}, headers=space.auth()
    )
    assert patched.status_code == 200
    assert space.client.get(f"/api/v1/resources/{rid}").get_json()["capacity"] == 20

    assert space.client.delete(f"/api/v1/resources/{rid}", headers=space.auth()).status_code == 204
    assert space.client.get("/api/v1/resources").get_json()["resources"] == []
    assert space.client.get(f"/api/v1/resources/{rid}").status_code == 404

    types = [e.type for e in _feed(space)]
    assert types == ["space.profile", "resource.put", "resource.put", "resource.remove"]


def test_events_filter_by_date_and_tag_and_cancel(space: SpaceNode) -> None:
    first = space.client.post("/api/v1/events", json=EVENT, headers=space.auth()).get_json()
    later = {
        **EVENT,
        "title": "Demo night",
        "start": "2026-12-10T18:00",
        "end": "2026-12-10T21:00",
        "tags": ["tech"],
    }
    second = space.client.post("/api/v1/events", json=later, headers=space.auth()).get_json()
    assert first["timezone"] == "Europe/London"  # defaulted from the space

    def ids(query: str) -> list[str]:
        response = space.client.get(f"/api/v1/events{query}")
        assert response.status_code == 200, response.get_json()
        return [e["id"] for e in response.get_json()["events"]]

    assert ids("") == [first["id"], second["id"]]
    assert ids("?from=2026-12-05") == [second["id"]]
    assert ids("?to=2026-12-01") == [first["id"]]
    assert ids("?tag=community") == [first["id"]]
    assert ids("?tag=tech") == [second["id"]]

    cancel = space.client.post(
        f"/api/v1/events/{first['id']}/cancel", json={"reason": "snow"}, headers=space.auth()
    )
    assert cancel.status_code == 204
    event = space.client.get(f"/api/v1/events/{first['id']}").get_json()
    assert event["cancelled"] is True and event["cancel_reason"] == "snow"
    assert ids("?include_cancelled=false") == [second["id"]]
    assert _feed(space)[-1].type == "event.cancel"


def test_members_are_private(space: SpaceNode) -> None:
    response = space.client.post(
        "/api/v1/members", json={"name": "Ada", "email": "ada@example.org"}, headers=space.auth()
    )
    assert response.status_code == 201
    assert space.client.get("/api/v1/members").status_code == 401
    listed = space.client.get("/api/v1/members", headers=space.auth()).get_json()["members"]
    assert [m["email"] for m in listed] == ["ada@example.org"]
    feed_bytes = space.client.get(f"/federation/v1/feeds/{space.id}").data
    assert b"ada@example.org" not in feed_bytes and b"Ada" not in feed_bytes


def test_event_times_in_utc_do_not_depend_on_the_servers_zone(
    space: SpaceNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        created = space.client.post("/api/v1/events", json=EVENT, headers=space.auth()).get_json()
        event = space.client.get(f"/api/v1/events/{created['id']}").get_json()
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert event["start_utc"] == "2026-12-01T09:00:00Z"  # London is UTC+0 in December


def test_created_objects_answer_201_with_a_location_that_reads_them_back(
    space: SpaceNode,
) -> None:
    bodies = {
        "/api/v1/resources": {"kind": "meeting_room", "name": "Sala Verde", "capacity": 8},
        "/api/v1/events": {
            "title": "Open day",
            "start": "2026-12-20T10:00",
            "end": "2026-12-20T12:00",
            "timezone": "Europe/London",
        },
        "/api/v1/members": {"name": "Ada", "email": "ada@example.org"},
    }
    for path, body in bodies.items():
        created = space.client.post(path, json=body, headers=space.auth())
        assert created.status_code == 201, created.get_json()
        location = created.headers["Location"]
        assert location.startswith(path + "/")
        read = space.client.get(location, headers=space.auth())
        assert read.status_code == 200
        assert read.get_json().items() >= created.get_json().items()


def test_the_events_list_comes_in_pages_with_a_next_link(space: SpaceNode) -> None:
    for day in range(1, 6):
        body = {"title": f"Talk {day}", "start": f"2026-12-{day:02d}T18:00",
                "end": f"2026-12-{day:02d}T19:00"}  # fmt: skip
        assert (
            space.client.post("/api/v1/events", json=body, headers=space.auth()).status_code == 201
        )
    seen: list[str] = []
    url: str | None = "/api/v1/events?limit=2&from=2026-11-01"
    pages = 0
    while url:
        page = space.client.get(url)
        assert page.status_code == 200
        seen += [e["title"] for e in page.json["events"]]
        url = page.json["next"]
        assert (page.headers.get("Link") is not None) == (url is not None)
        if url:
            assert page.headers["Link"] == f'<{url}>; rel="next"' and "from=2026-11-01" in url
        pages += 1
    assert seen == [f"Talk {d}" for d in range(1, 6)] and pages == 3
    assert space.client.get("/api/v1/events?limit=201").status_code == 422
    assert space.client.get("/api/v1/events?after=garbage").status_code == 422


def test_api_reads_answer_304_when_nothing_changed(space: SpaceNode) -> None:
    first = space.client.get("/api/v1/space")
    etag = first.headers["ETag"]
    again = space.client.get("/api/v1/space", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    listing = space.client.get("/api/v1/events")
    assert (
        space.client.get(
            "/api/v1/events", headers={"If-None-Match": listing.headers["ETag"]}
        ).status_code
        == 304
    )
    body = {"title": "New", "start": "2026-12-20T18:00", "end": "2026-12-20T19:00"}
    space.client.post("/api/v1/events", json=body, headers=space.auth())
    changed = space.client.get("/api/v1/events", headers={"If-None-Match": listing.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != listing.headers["ETag"]


@pytest.mark.parametrize(
    ("start", "end", "start_utc", "end_utc"),
    [
        # The protocol takes the years 0002..9998: an instant is RFC 3339, four-digit year.
        ("0075-10-31T21:50", "0075-10-31T23:00", "0075-10-31T21:50:00Z", "0075-10-31T23:00:00Z"),
        ("0999-12-31T23:30", "1000-01-01T00:30", "0999-12-31T23:30:00Z", "1000-01-01T00:30:00Z"),
    ],
)
def test_utc_times_of_early_years_keep_four_digits(
    space: SpaceNode, start: str, end: str, start_utc: str, end_utc: str
) -> None:
    body = {**EVENT, "start": start, "end": end, "timezone": "UTC"}
    created = space.client.post("/api/v1/events", json=body, headers=space.auth())
    assert created.status_code == 201, created.get_json()
    event = space.client.get(f"/api/v1/events/{created.get_json()['id']}").get_json()
    assert (event["start_utc"], event["end_utc"]) == (start_utc, end_utc)
    listed = space.client.get("/api/v1/events?from=0002-01-01").get_json()["events"]
    assert [(e["start_utc"], e["end_utc"]) for e in listed] == [(start_utc, end_utc)]
