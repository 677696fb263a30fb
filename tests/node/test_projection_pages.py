"""Projecting a whole page at once gives the same published state as one entry at a time.

``node.projection.project`` loads the rows a page touches up front and flushes once per page; these
tests pin down that later entries of a page still see what earlier ones did (put then cancel,
remove then put again) and that rows stored by earlier pages are updated, not duplicated.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from federation.entries import Entry, build_entry
from federation.keys import NodeKey
from node.feedstore import head, store_verified
from node.models import Event, Resource
from tests.support import FakeClock, SpaceNode, make_node

T0_MS = 1_790_000_000_000


def feed(key: NodeKey, steps: list[tuple[str, dict[str, Any]]]) -> list[Entry]:
    """Signed entries of ``key``'s feed for ``steps``, from seq 1."""
    entries: list[Entry] = []
    prev = None
    for seq, (kind, body) in enumerate(steps, start=1):
        entry = build_entry(key, key.did, seq, prev, T0_MS + seq, kind, body)
        entries.append(entry)
        prev = entry.hash
    return entries


def event(ident: str, title: str) -> tuple[str, dict[str, Any]]:
    body = {
        "id": ident,
        "title": title,
        "start": "2026-12-01T09:00",
        "end": "2026-12-01T10:00",
        "timezone": "Europe/Rome",
    }
    return "event.put", body


def resource(ident: str, name: str) -> tuple[str, dict[str, Any]]:
    return "resource.put", {"id": ident, "kind": "hot_desk", "name": name, "capacity": 4}


def store_pages(node: SpaceNode, origin: str, entries: list[Entry], size: int) -> None:
    for start in range(0, len(entries), size):
        with node.node.db.write() as session:
            store_verified(session, origin, entries[start : start + size], None)


def published(node: SpaceNode, origin: str) -> dict[str, Any]:
    """The projected rows of ``origin``, as plain values."""
    with node.node.db.read() as session:
        events = {
            e.id: (e.title, e.cancelled, e.cancel_reason, e.seq, e.ts, e.body)
            for e in session.scalars(select(Event).where(Event.origin == origin))
        }
        resources = {
            r.id: (r.kind, r.removed, r.seq, r.body)
            for r in session.scalars(select(Resource).where(Resource.origin == origin))
        }
        position = head(session, origin)
    return {"events": events, "resources": resources, "head": (position.seq, position.hash)}


@pytest.fixture
def nodes(tmp_path: Path, database_url: str | None) -> Iterator[tuple[SpaceNode, SpaceNode]]:
    """Two nodes on the same backend (SQLite files, or two schemas of one PostgreSQL database)."""
    clock = FakeClock()
    first = make_node(tmp_path, url="http://a.test", clock=clock, database_url=database_url)
    other_url = None
    if database_url is not None:
        from tests.support import PostgresSchema, postgres_url

        schema = PostgresSchema(postgres_url() or "")
        other_url = schema.url
    second = make_node(tmp_path, url="http://b.test", clock=clock, database_url=other_url)
    try:
        yield first, second
    finally:
        first.close()
        second.close()
        if database_url is not None:
            schema.drop()


def test_later_entries_of_a_page_see_earlier_ones(nodes: tuple[SpaceNode, SpaceNode]) -> None:
    node, _ = nodes
    key = NodeKey.generate()
    entries = feed(
        key,
        [
            event("breakfast", "Breakfast"),
            event("breakfast", "Breakfast, moved"),
            ("event.cancel", {"id": "breakfast", "reason": "rain"}),
            event("talk", "Talk"),
            ("event.cancel", {"id": "nobody-knows"}),
            resource("desk", "Desk"),
            ("resource.remove", {"id": "desk"}),
            resource("room", "Room"),
        ],
    )
    store_pages(node, key.did, entries, size=len(entries))
    state = published(node, key.did)
    assert state["events"]["breakfast"][:4] == ("Breakfast, moved", True, "rain", 3)
    assert state["events"]["talk"][:2] == ("Talk", False)
    assert "nobody-knows" not in state["events"]
    assert state["resources"]["desk"][1:3] == (True, 7)
    assert state["resources"]["room"][1:3] == (False, 8)
    assert state["head"] == (8, entries[-1].hash)


def test_a_later_page_updates_rows_of_earlier_pages(nodes: tuple[SpaceNode, SpaceNode]) -> None:
    node, _ = nodes
    key = NodeKey.generate()
    entries = feed(
        key,
        [
            event("breakfast", "Breakfast"),
            resource("desk", "Desk"),
            ("event.cancel", {"id": "breakfast"}),
            event("breakfast", "Breakfast is back"),
            ("resource.remove", {"id": "desk"}),
        ],
    )
    store_pages(node, key.did, entries[:2], size=2)
    store_pages(node, key.did, entries[2:], size=3)
    state = published(node, key.did)
    # Re-publishing a cancelled event re-opens it; one row per id, never a duplicate.
    assert state["events"] == {
        "breakfast": ("Breakfast is back", False, None, 4, T0_MS + 4, entries[3].body)
    }
    assert state["resources"]["desk"][1:3] == (True, 5)


_IDS = st.sampled_from(["a", "b", "c"])
_STEP = st.one_of(
    st.builds(lambda i, n: event(i, f"Event {n}"), _IDS, st.integers(0, 9)),
    st.builds(lambda i: ("event.cancel", {"id": i}), _IDS),
    st.builds(lambda i, n: resource(i, f"Desk {n}"), _IDS, st.integers(0, 9)),
    st.builds(lambda i: ("resource.remove", {"id": i}), _IDS),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(_STEP, min_size=1, max_size=12), page=st.integers(2, 12))
def test_pages_project_like_single_entries(
    nodes: tuple[SpaceNode, SpaceNode], steps: list[tuple[str, dict[str, Any]]], page: int
) -> None:
    paged, single = nodes
    key = NodeKey.generate()  # a fresh origin per example: examples never see each other
    entries = feed(key, steps)
    store_pages(paged, key.did, entries, size=page)
    store_pages(single, key.did, entries, size=1)
    assert published(paged, key.did) == published(single, key.did)
