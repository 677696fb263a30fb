"""The network pages at more spaces than fit one page: ``/network`` and ``/network/events``
show :data:`node.paging.PAGE_SIZE` items at a time with a "next page" link that keeps the
filters, every item is reachable exactly once by following the links, a forged cursor is
refused, and the number of database statements a page costs does not grow with the network."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape

from sqlalchemy import event

from federation.entries import build_entry
from federation.keys import NodeKey
from node.network.syncing import NodeSyncStore
from node.paging import PAGE_SIZE
from tests.support import SpaceNode

FIRST_DAY = 20  # of December 2026: after the test clock's "today"
SPACE_CARD = r"<h2>(?:<a [^>]*>)?(Spazio \d{3})"  # a card's heading, not the JSON-LD
EVENT_CARD = r"<h2>(?:<a [^>]*>)?(Incontro \d{3})"


def _mirror_spaces(space: SpaceNode, count: int, start: int = 0) -> list[str]:
    """``count`` other spaces, each with its profile and one event, stored as a peer would
    relay them (signed entries through the sync store)."""
    store = NodeSyncStore(space.node)
    names = []
    ts = space.node.now_ms()
    for i in range(start, start + count):
        key = NodeKey.generate()
        name = f"Spazio {i:03d}"
        city = "Prato" if i % 2 else "Firenze"
        profile = build_entry(
            key,
            key.did,
            1,
            None,
            ts,
            "space.profile",
            {"name": name, "timezone": "Europe/Rome", "city": city, "country": "IT"},
        )
        day = FIRST_DAY + i % 10
        put = build_entry(
            key,
            key.did,
            2,
            profile.hash,
            ts + 1,
            "event.put",
            {
                "id": f"ev-{i:03d}",
                "title": f"Incontro {i:03d}",
                "start": f"2026-12-{day:02d}T18:00",
                "end": f"2026-12-{day:02d}T20:00",
                "timezone": "Europe/Rome",
            },
        )
        store.store_page(key.did, [profile, put])
        names.append(name)
    return names


def _follow(space: SpaceNode, path: str, pattern: str) -> tuple[list[str], list[str]]:
    """Every item matching ``pattern`` on ``path`` and the pages after it, and the URLs read."""
    seen: list[str] = []
    urls = [path]
    while True:
        response = space.client.get(urls[-1])
        assert response.status_code == 200, response.get_data(as_text=True)
        html = response.get_data(as_text=True)
        seen += re.findall(pattern, html)
        found = re.search(r'<a rel="next" href="([^"]+)"', html)
        if found is None:
            return seen, urls
        urls.append(unescape(found.group(1)))
        assert len(urls) < 10


def test_network_spaces_come_a_page_at_a_time_and_every_one_is_reached_once(
    space: SpaceNode,
) -> None:
    names = _mirror_spaces(space, PAGE_SIZE + 7)
    seen, urls = _follow(space, "/network", SPACE_CARD)
    assert len(urls) == 2
    assert seen == sorted(names)  # by name, each once, across both pages
    first = space.client.get("/network").get_data(as_text=True)
    assert re.findall(r"<h2>(?:<a [^>]*>)?([^<]+)", first)[0] == "TheCube"  # ours leads
    second = space.client.get(urls[1]).get_data(as_text=True)
    assert "this space</span>" not in second and "First page" in second


def test_a_filter_is_kept_by_the_next_page_link(space: SpaceNode) -> None:
    names = _mirror_spaces(space, 2 * PAGE_SIZE + 4)
    prato = sorted(n for i, n in enumerate(names) if i % 2)
    seen, urls = _follow(space, "/network?city=Prato", SPACE_CARD)
    assert seen == prato and len(urls) == 2
    assert all("city=Prato" in url for url in urls)


def test_network_events_come_a_page_at_a_time_in_time_order(space: SpaceNode) -> None:
    _mirror_spaces(space, PAGE_SIZE + 12)
    seen, urls = _follow(space, "/network/events", EVENT_CARD)
    assert len(urls) == 2 and len(seen) == PAGE_SIZE + 12 == len(set(seen))
    days = [FIRST_DAY + int(title[-3:]) % 10 for title in seen]
    assert days == sorted(days)
    # The calendar is not paged: one subscription holds them all.
    ics = space.client.get("/network/events.ics").get_data(as_text=True)
    assert ics.count("BEGIN:VEVENT") == PAGE_SIZE + 12


def test_a_forged_page_cursor_is_refused(space: SpaceNode) -> None:
    _mirror_spaces(space, 3)
    for path in ("/network", "/network/events"):
        for cursor in ("not-base64!", "WzFd", "eyJhIjoxfQ", "x" * 700):
            response = space.client.get(f"{path}?after={cursor}")
            assert response.status_code == 400
            assert "start again from the first page" in response.get_data(as_text=True)


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


def test_a_network_page_costs_the_same_statements_at_ten_and_sixty_spaces(
    space: SpaceNode,
) -> None:
    _mirror_spaces(space, 10)
    costs = {}
    for size, extra in ((10, PAGE_SIZE), (10 + PAGE_SIZE, 0)):
        for path in ("/network", "/network/events", "/network/events.ics"):
            with _statements(space) as statements:
                assert space.client.get(path).status_code == 200
            costs[path, size] = len(statements)
        if extra:
            _mirror_spaces(space, extra, start=10)
    for path in ("/network", "/network/events", "/network/events.ics"):
        assert costs[path, 10 + PAGE_SIZE] == costs[path, 10], path


def test_pages_answer_304_when_nothing_changed_and_200_when_something_did(
    space: SpaceNode,
) -> None:
    _mirror_spaces(space, 3)
    for path in (
        "/",
        "/events",
        "/network",
        "/network/events",
        "/network/events.ics",
        "/feed.atom",
    ):
        first = space.client.get(path)
        etag = first.headers.get("ETag")
        assert first.status_code == 200 and etag, path
        again = space.client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.get_data() == b"", path
    etag = space.client.get("/network").headers["ETag"]
    _mirror_spaces(space, 1, start=3)
    changed = space.client.get("/network", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "Spazio 003" in changed.get_data(as_text=True)
    # Admin pages are private: never an ETag a shared cache could key on.
    assert "ETag" not in space.client.get("/admin/login").headers
