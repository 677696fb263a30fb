"""``/network`` as a network's own page (ARCHITECTURE.md §Network pages): the spaces grouped by
city, then district, with counts of spaces and upcoming events, each group linking to the
filtered list; a ``district`` filter; and a server-drawn SVG map of the listed spaces, with
names from other nodes escaped. The grouped page costs the same statements at any size."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import unescape

import pytest

from node.network import muting
from node.web import spacemap
from tests.node.network_support import event_body, mirror_space
from tests.node.test_network_paging import _statements
from tests.support import SpaceNode

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '</title></svg><script>alert(1)</script><b x="'


def _page(space: SpaceNode, path: str = "/network") -> str:
    response = space.client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def _groups(html: str) -> list[tuple[str, str, str]]:
    """(link, name, counts) of each group on the page, in order."""
    section = html[html.index('class="place-groups"') : html.index("</section>")]
    found = re.findall(
        r'<a href="([^"]+)">([^<]*)</a>\s*<span class="muted">([^<]*)</span>', section
    )
    return [(unescape(link), unescape(name), counts) for link, name, counts in found]


def _svg(html: str) -> ET.Element:
    """The map, parsed as the XML it must be."""
    return ET.fromstring(html[html.index("<svg") : html.index("</svg>") + 6])


def _genoa(space: SpaceNode) -> None:
    mirror_space(
        space,
        {"name": "Molo Uno", "city": "Genova", "district": "Centro storico", "country": "IT"},
        [event_body(1), event_body(2, day=22)],
    )
    mirror_space(
        space,
        {"name": "Molo Due", "city": "genova", "district": "centro Storico", "country": "IT"},
        [{**event_body(3), "start": "2026-11-01T10:00", "end": "2026-11-01T12:00"}],
    )
    mirror_space(space, {"name": "Fiera", "city": "Genova", "district": "Foce", "country": "IT"})
    mirror_space(space, {"name": "Senza quartiere", "city": "Genova"}, [event_body(4)])
    mirror_space(space, {"name": "Duomo", "city": "Milano", "district": "Centro storico"})
    mirror_space(space, {"name": "Nowhere"})


def test_spaces_are_grouped_by_city_then_district_with_counts(space: SpaceNode) -> None:
    _genoa(space)
    groups = _groups(_page(space))
    assert groups == [
        ("/network?city=Genova", "Genova", "4 spaces · 3 upcoming events"),
        (
            "/network?city=Genova&district=Centro+storico",
            "Centro storico",
            "2 spaces · 2 upcoming events",
        ),
        ("/network?city=Genova&district=Foce", "Foce", "1 space"),
        ("/network?city=Milano", "Milano", "1 space"),
        ("/network?city=Milano&district=Centro+storico", "Centro storico", "1 space"),
    ]
    # Our own space (no city) and "Nowhere" count under no city, without a link.
    assert re.search(r"No city given\s*<span class=\"muted\">2 spaces", _page(space))


def test_a_group_link_lists_that_district_only(space: SpaceNode) -> None:
    _genoa(space)
    html = _page(space, "/network?city=Genova&district=CENTRO STORICO")
    names = re.findall(r"<h2>(?:<a [^>]*>)?([^<]+)", html)
    assert sorted(n.strip() for n in names if n.strip() != "Districts") == ["Molo Due", "Molo Uno"]
    # With a city chosen, the groups are its districts, and the country filter travels along.
    groups = _groups(_page(space, "/network?city=Genova&country=it"))
    assert [name for _, name, _ in groups] == ["Genova", "Centro storico", "Foce"]
    assert groups[1][0] == "/network?city=Genova&district=Centro+storico&country=it"


def test_the_district_filter_matches_literally(space: SpaceNode) -> None:
    mirror_space(space, {"name": "Percento", "city": "Genova", "district": "100% Foce"})
    mirror_space(space, {"name": "Altro", "city": "Genova", "district": "1000 Foce"})
    html = _page(space, "/network?district=100%25%20Foce")
    assert "Percento" in html and "Altro</h2>" not in html
    events = space.client.get("/network/events?district=x_y")
    assert events.status_code == 200


def test_a_bad_district_filter_is_a_400_page_that_lists_nothing(space: SpaceNode) -> None:
    mirror_space(space, {"name": "Molo Uno", "city": "Genova", "district": "Foce"})
    response = space.client.get("/network?district=" + "x" * 101)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "district: at most 100 characters" in html and "Molo Uno" not in html
    assert space.client.get("/network/events?district=" + "x" * 101).status_code == 400


def test_hidden_spaces_are_not_counted(space: SpaceNode) -> None:
    mirror_space(space, {"name": "Visibile", "city": "Genova"})
    muted = mirror_space(space, {"name": "Muto", "city": "Genova"}, [event_body(1)])
    with space.node.db.write() as session:
        muting.mute(session, space.node, muted)
    assert _groups(_page(space))[0] == ("/network?city=Genova", "Genova", "1 space")


def test_the_grouped_page_costs_the_same_statements_at_any_size(space: SpaceNode) -> None:
    def add(count: int, start: int) -> None:
        for i in range(start, start + count):
            city = ("Genova", "Milano", "Prato")[i % 3]
            district = f"Quartiere {i % 7}"
            mirror_space(
                space,
                {
                    "name": f"Spazio {i:03d}",
                    "city": city,
                    "district": district,
                    "latitude_e6": 44_000_000 + i * 1000,
                    "longitude_e6": 9_000_000 + i * 1000,
                },
                [event_body(i)],
            )

    paths = ("/network", "/network?city=Genova", "/network?city=Genova&district=Quartiere%200")
    costs: dict[tuple[str, int], int] = {}
    add(5, 0)
    for size, more in ((5, 60), (65, 0)):
        for path in paths:
            with _statements(space) as statements:
                _page(space, path)
            costs[path, size] = len(statements)
        if more:
            add(more, 5)
    for path in paths:
        assert costs[path, 65] == costs[path, 5], path


# -- the map --------------------------------------------------------------------------------


def test_the_map_fits_the_spaces_inside_its_frame() -> None:
    places = [
        {"name": "Genova", "url": "", "latitude_e6": 44_405_600, "longitude_e6": 8_946_300},
        {"name": "Milano", "url": "", "latitude_e6": 45_464_200, "longitude_e6": 9_190_000},
        {"name": "Bologna", "url": "", "latitude_e6": 44_494_900, "longitude_e6": 11_342_600},
        {"name": "No coordinates", "url": "", "latitude_e6": None, "longitude_e6": 9_000_000},
    ]
    found = spacemap.fit(places)
    assert found is not None and found.width == spacemap.WIDTH
    assert [dot.name for dot in found.dots] == ["Genova", "Milano", "Bologna"]
    xs = [dot.x for dot in found.dots]
    ys = [dot.y for dot in found.dots]
    margin = spacemap.MARGIN
    assert all(margin - 0.1 <= x <= found.width - margin + 0.1 for x in xs)
    assert all(margin - 0.1 <= y <= found.height - margin + 0.1 for y in ys)
    # West to east is left to right, north is up; the widest span fills the width.
    assert xs[0] < xs[1] < xs[2] and ys[1] < ys[2] < ys[0]
    assert min(xs) == pytest.approx(margin, abs=0.1)
    assert max(xs) == pytest.approx(found.width - margin, abs=0.1)
    # Equirectangular at the middle latitude: a degree east is cos(lat) of a degree north.
    ratio = (xs[2] - xs[0]) / (ys[0] - ys[1])
    expected = (11.3426 - 8.9463) * 0.7131 / (45.4642 - 44.4056)
    assert ratio == pytest.approx(expected, rel=0.01)
    assert any(line.vertical and line.label.endswith("°E") for line in found.lines)


def test_one_space_sits_in_the_middle_and_none_draws_no_map() -> None:
    one = spacemap.fit(
        [{"name": "A", "url": "", "latitude_e6": -33_868_800, "longitude_e6": 151_209_300}]
    )
    assert one is not None and len(one.dots) == 1
    assert (one.dots[0].x, one.dots[0].y) == (one.width / 2, one.height / 2)
    assert spacemap.fit([{"name": "A", "url": "", "latitude_e6": 1}]) is None
    assert spacemap.fit([]) is None


def test_the_map_on_the_page_links_each_space_and_escapes_names(space: SpaceNode) -> None:
    hostile = {
        "name": HOSTILE,
        "city": "Genova & <Co>",
        "district": '"><svg onload=alert(1)>',
        "latitude_e6": 44_405_600,
        "longitude_e6": 8_946_300,
    }
    mirror_space(space, hostile, url="https://molo.example")
    mirror_space(space, {"name": "Senza mappa", "city": "Genova"})
    html = _page(space)
    assert "<script>alert" not in html and "<svg onload" not in html
    svg = _svg(html)
    links = svg.findall(f"{SVG}a")
    assert [a.get("href") for a in links] == ["https://molo.example/"]
    title = links[0].find(f"{SVG}title")
    assert title is not None
    assert title.text == f'{HOSTILE} · "><svg onload=alert(1)>, Genova & <Co>'
    assert len(svg.findall(f".//{SVG}circle")) == 1  # the space without coordinates is left out
    assert svg.get("viewBox", "").startswith("0 0 600")


def test_no_map_without_coordinates(space: SpaceNode) -> None:
    mirror_space(space, {"name": "Senza mappa", "city": "Genova"})
    assert "<svg" not in _page(space)


def test_the_cli_lists_a_districts_spaces_and_events(
    space: SpaceNode, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from node.cli import main

    _genoa(space)
    base = ["--data-dir", str(space.data_dir), "network"]
    capsys.readouterr()
    assert (
        main([*base, "spaces", "--city", "Genova", "--district", "centro storico", "--json"]) == 0
    )
    rows = json.loads(capsys.readouterr().out)
    assert sorted(row["name"] for row in rows) == ["Molo Due", "Molo Uno"]
    assert {row["district"] for row in rows} == {"Centro storico", "centro Storico"}
    assert main([*base, "events", "--district", "Centro storico", "--json"]) == 0
    titles = [row["title"] for row in json.loads(capsys.readouterr().out)]
    assert titles == ["Incontro 3", "Incontro 1", "Incontro 2"]  # past ones too, without --from
    assert main([*base, "events", "--district", "x" * 101]) != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "district" in err
