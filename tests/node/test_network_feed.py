"""The network's Atom feed: the most recently changed events of every space this node shows,
each entry with its space as author, a link to its own node's page and the same id as in that
space's own feed; muted origins left out; readable by another site (CORS) and by feed readers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest

from node.network import muting
from node.services.events import add_event
from tests.network import Network, network
from tests.support import FakeClock


@pytest.fixture
def net(tmp_path: Path, clock: FakeClock) -> Iterator[Network]:
    with network(tmp_path, clock) as net:
        net.add("a", title="WeCreate NYC")
        net.add("b", title="The Cube")
        net.add("c", title="Prato Hub")
        net.peer("a", "b")
        net.peer("a", "c")
        for name, title in (("a", "Breakfast"), ("b", "Demo night"), ("c", "Aperitivo")):
            with net[name].node.db.write() as session:
                add_event(
                    session, net[name].node,
                    {"title": title, "start": "2026-12-20T18:00", "end": "2026-12-20T20:00"},
                )  # fmt: skip
            clock.advance(60)
        net.settle()
        yield net


def test_the_network_feed_holds_every_shown_space(net: Network) -> None:
    response = net["a"].client.get("/network/feed.atom", headers={"Accept": "application/atom+xml"})
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    feed = feedparser.parse(response.data)
    assert feed.bozo == 0
    by_title = {e.title: e for e in feed.entries}
    assert set(by_title) == {"Breakfast", "Demo night", "Aperitivo"}
    assert feed.entries[0].title == "Aperitivo"  # newest change first
    demo = by_title["Demo night"]
    assert demo.author == "The Cube" and demo.link.startswith("http://b.test/events/")
    own = feedparser.parse(net["b"].client.get("/feed.atom").data)
    assert own.entries[0].id == demo.id  # one id per event, whichever feed carries it
    assert by_title["Breakfast"].link.startswith("http://a.test/events/")


def test_a_muted_origin_is_left_out(net: Network) -> None:
    with net["a"].node.db.write() as session:
        muting.mute(session, net["a"].node, net["c"].id)
    feed = feedparser.parse(net["a"].client.get("/network/feed.atom").data)
    assert {e.title for e in feed.entries} == {"Breakfast", "Demo night"}


def test_the_network_events_page_links_the_feed(net: Network) -> None:
    page = net["a"].client.get("/network/events").get_data(as_text=True)
    assert '<link rel="alternate" type="application/atom+xml"' in page
    assert 'href="/network/feed.atom"' in page
