"""Conditional requests on the network's pages, calendar and feed: a client naming the current
ETag gets ``304`` answered from the remembered ETag (two small statements, nothing rendered),
and anything that changes what they show (a new entry, a mute, a block, a peer's address, the
time on an HTML page) makes the next answer a full ``200`` with a new ETag."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event

from federation.entries import build_entry
from federation.keys import NodeKey
from node.network import blocking, muting
from node.network.syncing import NodeSyncStore
from tests.node.network_support import event_body, mirror_space
from tests.support import FakeClock, SpaceNode, make_node

PATHS = (
    "/network",
    "/network?city=Genova",
    "/network/events",
    "/network/events.ics",
    "/network/events.ics?city=Genova",
    "/network/feed.atom",
    "/network/embed/events",
)


@contextmanager
def _statements(space: SpaceNode) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append(statement)

    engine = space.node.db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _etag(space: SpaceNode, path: str) -> str:
    response = space.client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    etag = response.headers["ETag"]
    assert etag
    return etag


def _again(space: SpaceNode, path: str, etag: str) -> int:
    return space.client.get(path, headers={"If-None-Match": etag}).status_code


@pytest.mark.parametrize("path", PATHS)
def test_an_unchanged_network_answers_304_without_rendering(space: SpaceNode, path: str) -> None:
    mirror_space(space, {"name": "Molo", "city": "Genova"}, [event_body(1)], url="https://m.test")
    etag = _etag(space, path)
    with _statements(space) as seen:
        assert _again(space, path, etag) == 304
    assert len([s for s in seen if s.startswith("SELECT")]) == 2  # the version; no page query
    assert _again(space, path, '"someone-elses"') == 200


@pytest.mark.parametrize("path", PATHS)
def test_a_new_event_ends_the_304(space: SpaceNode, path: str) -> None:
    mirror_space(space, {"name": "Molo", "city": "Genova"}, [event_body(1)], url="https://m.test")
    etag = _etag(space, path)
    mirror_space(space, {"name": "Porto", "city": "Genova"}, [event_body(2)], url="https://p.test")
    response = space.client.get(path, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response.headers["ETag"] != etag
    assert "Porto" in response.get_data(as_text=True)


def test_a_mute_and_a_block_end_the_304(space: SpaceNode) -> None:
    molo = mirror_space(space, {"name": "Molo", "city": "Genova"}, [event_body(1)])
    porto = mirror_space(space, {"name": "Porto", "city": "Genova"}, [event_body(2)])
    for change in (
        lambda session: muting.mute(session, space.node, molo),
        lambda session: blocking.block(session, space.node, porto),
    ):
        etags = {path: _etag(space, path) for path in PATHS}
        with space.node.db.write() as session:
            change(session)
        for path, etag in etags.items():
            assert _again(space, path, etag) == 200, path


def test_an_html_page_is_rendered_again_after_its_minute(space: SpaceNode, clock) -> None:  # type: ignore[no-untyped-def]
    mirror_space(space, {"name": "Molo", "city": "Genova"}, [event_body(1)])
    etag = _etag(space, "/network")
    clock.advance(600)  # "just now" becomes "10 min ago"
    with _statements(space) as seen:
        response = space.client.get("/network", headers={"If-None-Match": etag})
    assert response.status_code == 200 and response.headers["ETag"] != etag
    assert len([s for s in seen if s.startswith("SELECT")]) > 2  # rendered
    assert "10 min ago" in response.get_data(as_text=True)


def test_the_groups_follow_the_network_within_a_minute(space: SpaceNode) -> None:
    mirror_space(space, {"name": "Molo", "city": "Genova"}, [event_body(1)])
    assert "1 space · 1 upcoming event" in space.client.get("/network").get_data(as_text=True)
    mirror_space(space, {"name": "Porto", "city": "Genova"}, [event_body(2), event_body(3)])
    html = space.client.get("/network").get_data(as_text=True)
    assert "2 spaces · 3 upcoming events" in html


def test_the_calendar_shows_an_edited_event_and_a_moved_space(space: SpaceNode) -> None:
    """The network calendar reuses serialised VEVENTs: an edit of the event (a new seq) and a
    new profile of its space (a new LOCATION) must each show at once."""
    key = NodeKey.generate()
    ts = space.node.now_ms()
    profile = {"name": "Molo", "city": "Genova", "timezone": "Europe/Rome"}
    first = build_entry(key, key.did, 1, None, ts, "space.profile", profile)
    put = build_entry(
        key, key.did, 2, first.hash, ts, "event.put", {**event_body(1), "timezone": "Europe/Rome"}
    )
    NodeSyncStore(space.node).store_page(key.did, [first, put])
    assert "Incontro 1" in space.client.get("/network/events.ics").get_data(as_text=True)
    edit = build_entry(
        key, key.did, 3, put.hash, ts + 1, "event.put",
        {**event_body(1, title="Riunione"), "timezone": "Europe/Rome"},
    )  # fmt: skip
    NodeSyncStore(space.node).store_page(key.did, [edit])
    ics = space.client.get("/network/events.ics").get_data(as_text=True)
    assert "Riunione 1" in ics and "Incontro 1" not in ics
    moved = build_entry(
        key, key.did, 4, edit.hash, ts + 2, "space.profile", {**profile, "city": "Savona"}
    )
    NodeSyncStore(space.node).store_page(key.did, [moved])
    ics = space.client.get("/network/events.ics").get_data(as_text=True)
    assert "LOCATION:Molo\\, Savona" in ics and "Genova" not in ics


def test_two_spaces_in_one_process_keep_their_own_pages(
    space: SpaceNode, tmp_path: Path, clock: FakeClock
) -> None:
    """What a process remembers is per node: a hub serves many spaces from one process, and
    two spaces can have equal network versions (same counts, same times)."""
    other = make_node(tmp_path / "other", "Altro", "http://b.test", clock=clock)
    try:
        mirror_space(space, {"name": "Molo", "city": "Genova"}, [event_body(1)])
        mirror_space(other, {"name": "Duomo", "city": "Milano"}, [event_body(1)])
        first = space.client.get("/network")
        second = other.client.get("/network", headers={"If-None-Match": first.headers["ETag"]})
        assert second.status_code == 200
        html = second.get_data(as_text=True)
        assert "Milano" in html and "Genova" not in html
    finally:
        other.close()


def test_the_groups_drop_an_event_once_it_ends(space: SpaceNode, clock: FakeClock) -> None:
    mirror_space(space, {"name": "Molo", "city": "Genova"}, [event_body(1, day=20)])
    mirror_space(space, {"name": "Porto", "city": "Genova"}, [event_body(2, day=22)])
    assert "2 spaces · 2 upcoming events" in space.client.get("/network").get_data(as_text=True)
    # The first event ends on 20 December 2026 at 20:00 in Rome; nothing else changes.
    clock.advance(datetime(2026, 12, 20, 19, 1, tzinfo=UTC).timestamp() - clock())
    assert "2 spaces · 1 upcoming event" in space.client.get("/network").get_data(as_text=True)


def test_the_kept_groups_follow_the_language(space: SpaceNode) -> None:
    mirror_space(space, {"name": "Molo", "city": "Genova", "district": "Foce"}, [event_body(1)])
    english = space.client.get("/network").get_data(as_text=True)
    assert "1 district</summary>" in english
    italian = space.client.get("/network?lang=it").get_data(as_text=True)
    assert "1 quartiere</summary>" in italian and "1 district" not in italian
    space.client.delete_cookie("spazi_lang")
    assert "1 district</summary>" in space.client.get("/network").get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/events",
        "/network/projects",
        "/network/people",
        "/api/v1/space",
        "/api/v1/projects",
        "/api/v1/people",
    ],
)
def test_every_public_read_answers_its_etag_with_304(space: SpaceNode, path: str) -> None:
    """Pages and API reads of every feature, not only the network's: a blueprint or view
    declares itself conditional where it is defined (node/web/conditional.py)."""
    etag = _etag(space, path)
    assert _again(space, path, etag) == 304


def test_an_admins_read_is_etagged_but_private(space: SpaceNode) -> None:
    response = space.client.get("/api/v1/project-answers", headers=space.auth())
    assert response.status_code == 200 and response.headers["ETag"]
    assert response.headers["Cache-Control"] == "private, no-cache"
    public = space.client.get("/api/v1/projects")
    assert "private" not in public.headers.get("Cache-Control", "")
