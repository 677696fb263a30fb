"""The events widget other sites embed (``/network/embed/events``, ARCHITECTURE.md §Network
pages): the area's upcoming events from every space, dates in the chosen language, escaped
text, links that open a new tab; framable by any site while every other page is not, with a
policy that still forbids scripts; conditional requests; CORS; bad parameters refused with a
400 document that lists nothing; and a fixed number of statements whatever the network's size.
"""

from __future__ import annotations

import base64
import hashlib
import re
from html import unescape
from html.parser import HTMLParser

import pytest

from node.models import Event
from node.web import embed
from tests.node.network_support import event_body, mirror_space
from tests.node.test_network_paging import _statements
from tests.support import SpaceNode

PATH = "/network/embed/events"
ELSEWHERE = {"Origin": "https://comune.genova.example"}


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text of the ``<style>`` block."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style += data


def _parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


def _area(space: SpaceNode) -> None:
    mirror_space(
        space,
        {"name": "Porto Uno", "city": "Genova", "district": "Foce"},
        [event_body(1, day=20), event_body(2, day=22, title="Laboratorio")],
        url="https://porto.example",
    )
    mirror_space(
        space,
        {"name": "Centro", "city": "Genova", "district": "Centro storico"},
        [event_body(3, day=21)],
        url="https://centro.example",
    )
    mirror_space(
        space, {"name": "Duomo", "city": "Milano"}, [event_body(4, day=19)], url="https://d.example"
    )


def _titles(html: str) -> list[str]:
    return [unescape(t) for t in re.findall(r'rel="noopener">([^<]+)</a>\s*<span', html)]


def test_the_widget_lists_the_areas_events_soonest_first(space: SpaceNode) -> None:
    _area(space)
    response = space.client.get(f"{PATH}?city=Genova")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _titles(html) == ["Incontro 1", "Incontro 3", "Laboratorio 2"]
    assert "Duomo" not in html
    district = space.client.get(f"{PATH}?city=genova&district=FOCE").get_data(as_text=True)
    assert _titles(district) == ["Incontro 1", "Laboratorio 2"]
    assert _titles(space.client.get(f"{PATH}?city=Genova&limit=1").get_data(as_text=True)) == [
        "Incontro 1"
    ]
    # No area: every space's events.
    assert len(_titles(space.client.get(PATH).get_data(as_text=True))) == 4


def test_cancelled_and_past_events_are_left_out(space: SpaceNode) -> None:
    past = {**event_body(5), "start": "2026-11-01T10:00", "end": "2026-11-01T12:00"}
    origin = mirror_space(space, {"name": "Porto", "city": "Genova"}, [event_body(1), past])
    with space.node.db.write() as session:
        row = session.get(Event, (origin, "ev-1"))
        assert row is not None
        row.cancelled = True
    html = space.client.get(f"{PATH}?city=Genova").get_data(as_text=True)
    assert _titles(html) == []
    assert "No upcoming events." in html


def test_dates_and_words_follow_the_language(space: SpaceNode) -> None:
    _area(space)
    italian = space.client.get(f"{PATH}?city=Genova&district=Foce&lang=it")
    html = italian.get_data(as_text=True)
    assert italian.headers["Content-Language"] == "it" and '<html lang="it">' in html
    assert "Prossimi eventi a Foce" in html and "Tutti gli eventi della rete" in html
    assert "dom 20 dic, 18:00–20:00" in html
    english = space.client.get(f"{PATH}?city=Genova&district=Foce&lang=EN").get_data(as_text=True)
    assert "Upcoming events in Foce" in english and "All events in the network" in english
    assert "Sun, Dec 20, 6:00\u202fPM–8:00\u202fPM" in english or "Sun, Dec 20, 6:00 PM" in english
    assert "dic" not in english


def test_an_event_over_several_days_says_both_days() -> None:
    text = embed._when("2026-12-31T22:00", "2027-01-01T02:00", "Europe/Rome", "it")
    assert text == "gio 31 dic, 22:00 – ven 1 gen, 02:00"


def test_links_open_a_new_tab_and_text_is_escaped(space: SpaceNode) -> None:
    hostile = '<script>alert("x")</script>'
    mirror_space(
        space,
        {"name": f"Porto {hostile}", "city": "Genova", "district": "<b>Foce</b>"},
        [{**event_body(1), "title": f"Festa {hostile}"}],
        url="https://porto.example",
    )
    html = space.client.get(f"{PATH}?city=Genova&lang=it").get_data(as_text=True)
    assert "<script" not in html and "<b>" not in html
    assert _titles(html) == [f"Festa {hostile}"]
    assert "Porto &lt;script&gt;" in html
    parsed = _parse(html)
    links = [attrs for tag, attrs in parsed.tags if tag == "a"]
    assert links[0]["href"] == "https://porto.example/events/ev-1"
    assert all(a["target"] == "_blank" and a["rel"] == "noopener" for a in links)
    assert links[-1]["href"] == "http://a.test/network/events?city=Genova"
    # Nothing that runs or loads: no script, no external stylesheet, no image, no form.
    assert {tag for tag, _ in parsed.tags} <= {
        "html", "head", "meta", "title", "style", "body", "h1", "ul", "li", "time", "a", "span",
        "p",
    }  # fmt: skip


def test_any_site_may_frame_the_widget_but_no_script_runs(space: SpaceNode) -> None:
    _area(space)
    response = space.client.get(f"{PATH}?city=Genova")
    policy = response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers
    assert "frame-ancestors *" in policy
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "unsafe-inline" not in policy
    # The inline style is allowed by its hash, which must be the hash of what is served.
    style = _parse(response.get_data(as_text=True)).style
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # Every other page still refuses to be framed.
    for path in ("/", "/network", "/network/events", "/admin/login"):
        other = space.client.get(path)
        assert other.headers["X-Frame-Options"] == "DENY", path
        assert "frame-ancestors 'none'" in other.headers["Content-Security-Policy"], path


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        # A bad ?lang= is named in English; with lang=it the problem is in Italian too.
        ("lang=fr", "lang: one of en, it"),
        ("limit=0", "limit: un numero intero da 1 a 50"),
        ("limit=51", "limit: un numero intero da 1 a 50"),
        ("limit=ten", "limit: un numero intero da 1 a 50"),
        ("limit=%D9%A3", "limit: un numero intero da 1 a 50"),
        ("city=" + "x" * 101, "city: al massimo 100 caratteri"),
        ("district=" + "x" * 101, "district: al massimo 100 caratteri"),
    ],
)
def test_bad_parameters_are_a_400_document_that_lists_nothing(
    space: SpaceNode, query: str, problem: str
) -> None:
    _area(space)
    before = space.counts()
    response = space.client.get(
        f"{PATH}?{query}&lang=it" if "lang" not in query else f"{PATH}?{query}"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert problem in unescape(html)
    assert _titles(html) == []
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    if "lang" not in query:
        assert "L'indirizzo di questo widget non è valido" in unescape(html)
    assert space.counts() == before


def test_unknown_parameters_are_ignored(space: SpaceNode) -> None:
    _area(space)
    response = space.client.get(f"{PATH}?city=Genova&utm_source=comune")
    assert response.status_code == 200 and len(_titles(response.get_data(as_text=True))) == 3


def test_the_widget_answers_304_when_nothing_changed(space: SpaceNode) -> None:
    _area(space)
    first = space.client.get(f"{PATH}?city=Genova&lang=it")
    etag = first.headers["ETag"]
    again = space.client.get(f"{PATH}?city=Genova&lang=it", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    mirror_space(space, {"name": "Nuovo", "city": "Genova"}, [event_body(9, day=23)])
    changed = space.client.get(f"{PATH}?city=Genova&lang=it", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "Incontro 9" in changed.get_data(as_text=True)


def test_other_sites_may_read_the_widget_but_not_write(space: SpaceNode) -> None:
    response = space.client.get(PATH, headers=ELSEWHERE)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    posted = space.client.post(PATH, headers=ELSEWHERE)
    assert posted.status_code == 405
    assert "Access-Control-Allow-Origin" not in posted.headers
    preflight = space.client.options(
        PATH, headers={**ELSEWHERE, "Access-Control-Request-Method": "POST"}
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_the_widget_costs_the_same_statements_at_any_size(space: SpaceNode) -> None:
    def add(count: int, start: int) -> None:
        for i in range(start, start + count):
            city = "Genova" if i % 2 else "Milano"
            mirror_space(space, {"name": f"S{i}", "city": city, "district": f"Q{i % 3}"},
                         [event_body(i, day=20 + i % 8)])  # fmt: skip

    paths = (PATH, f"{PATH}?city=Genova&lang=it", f"{PATH}?city=Genova&district=Q1&limit=50")
    costs: dict[tuple[str, int], int] = {}
    add(6, 0)
    for size, more in ((6, 60), (66, 0)):
        for path in paths:
            with _statements(space) as statements:
                assert space.client.get(path).status_code == 200
            costs[path, size] = len(statements)
        if more:
            add(more, 6)
    for path in paths:
        assert costs[path, 66] == costs[path, 6], path
