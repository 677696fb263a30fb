"""A node mirroring a large network, for the network-page benchmarks: ``S`` other spaces, each
with a realistic signed profile (city, district, coordinates, amenities), ``E`` upcoming events
and its address announcement, stored as a peer relays them (``NodeSyncStore.store_page``: feed
rows, head and projection in one transaction per space).

Not a test module; imported by ``bench_network_pages.py`` as ``tests.bench.network_mirror``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from federation.entries import Entry, build_entry
from federation.keys import NodeKey

# Forty cities, each with a few districts: /network groups the spaces by them.
CITIES = [
    ("Genova", "IT", 44_407_000, 8_934_000),
    ("Milano", "IT", 45_464_000, 9_190_000),
    ("Torino", "IT", 45_070_000, 7_686_000),
    ("Bologna", "IT", 44_494_000, 11_342_000),
    ("Firenze", "IT", 43_769_000, 11_255_000),
    ("Roma", "IT", 41_902_000, 12_496_000),
    ("Napoli", "IT", 40_851_000, 14_268_000),
    ("Bari", "IT", 41_117_000, 16_871_000),
    ("Palermo", "IT", 38_115_000, 13_361_000),
    ("Cagliari", "IT", 39_223_000, 9_121_000),
    ("Trieste", "IT", 45_649_000, 13_776_000),
    ("Venezia", "IT", 45_440_000, 12_315_000),
    ("Verona", "IT", 45_438_000, 10_992_000),
    ("Padova", "IT", 45_406_000, 11_876_000),
    ("Trento", "IT", 46_070_000, 11_121_000),
    ("Bolzano", "IT", 46_498_000, 11_354_000),
    ("Parma", "IT", 44_801_000, 10_328_000),
    ("Pisa", "IT", 43_716_000, 10_401_000),
    ("Perugia", "IT", 43_110_000, 12_389_000),
    ("Ancona", "IT", 43_616_000, 13_518_000),
    ("Pescara", "IT", 42_464_000, 14_214_000),
    ("Lecce", "IT", 40_352_000, 18_169_000),
    ("Catania", "IT", 37_502_000, 15_087_000),
    ("Sassari", "IT", 40_726_000, 8_560_000),
    ("Como", "IT", 45_808_000, 9_085_000),
    ("Bergamo", "IT", 45_698_000, 9_677_000),
    ("Brescia", "IT", 45_541_000, 10_211_000),
    ("Modena", "IT", 44_647_000, 10_925_000),
    ("Rimini", "IT", 44_060_000, 12_566_000),
    ("Livorno", "IT", 43_548_000, 10_310_000),
    ("Lugano", "CH", 46_004_000, 8_951_000),
    ("Zürich", "CH", 47_377_000, 8_541_000),
    ("Nice", "FR", 43_710_000, 7_262_000),
    ("Marseille", "FR", 43_297_000, 5_370_000),
    ("Lyon", "FR", 45_764_000, 4_836_000),
    ("Wien", "AT", 48_208_000, 16_374_000),
    ("München", "DE", 48_137_000, 11_576_000),
    ("Ljubljana", "SI", 46_057_000, 14_506_000),
    ("Barcelona", "ES", 41_387_000, 2_168_000),
    ("Lisboa", "PT", 38_722_000, -9_139_000),
]
DISTRICTS = ["Centro storico", "Porto", "Stazione", "Università", "Nord", "Sud"]
TAGS = ["networking", "workshop", "breakfast", "talk", "design", "code", "legal", "music"]
_TITLES = [
    "Colazione dei coworker",
    "Workshop: contratti per freelance",
    "Apéro des indépendants",
    "Open studio night",
    "Laboratorio di stampa 3D",
    "Pitch & pizza",
    "Office hours: fisco per partite IVA",
]
_DESCRIPTION = (
    "Bring your laptop and meet the other members over coffee; we'll go round the table and "
    "everyone says what they are working on this month. Free for members and guests of twinned "
    "spaces."
)
_SPACE_DESCRIPTION = (
    "A quiet coworking space with fast fibre, meeting rooms, a kitchen and a terrace; day passes "
    "for guests of twinned spaces."
)


def profile(i: int) -> dict[str, Any]:
    """Space ``i``'s ``space.profile`` body."""
    city, country, lat, lon = CITIES[i % len(CITIES)]
    return {
        "name": f"Spazio {i:04d} {city}",
        "description": _SPACE_DESCRIPTION,
        "address": f"Via Roma {1 + i % 200}",
        "city": city,
        "district": DISTRICTS[(i // len(CITIES)) % len(DISTRICTS)],
        "country": country,
        "timezone": "Europe/Rome",
        "latitude_e6": lat + (i * 7919) % 40_000 - 20_000,
        "longitude_e6": lon + (i * 104_729) % 40_000 - 20_000,
        "amenities": ["wifi", "coffee", "meeting room", "printer"][: 1 + i % 4],
        "contact": {"email": f"info@spazio-{i:04d}.example"},
    }


def event(i: int, j: int, today: datetime) -> dict[str, Any]:
    """Space ``i``'s ``j``-th upcoming ``event.put`` body, within the next ten weeks."""
    day = today + timedelta(days=1 + (i * 3 + j * 7) % 70)
    hour = 9 + (i + j) % 10
    body: dict[str, Any] = {
        "id": f"ev-{j:03d}",
        "title": f"{_TITLES[(i + j) % len(_TITLES)]} #{j}",
        "start": f"{day:%Y-%m-%d}T{hour:02d}:00",
        "end": f"{day:%Y-%m-%d}T{hour + 1:02d}:30",
        "timezone": "Europe/Rome",
        "capacity": 10 + (i + j) % 50,
        "tags": sorted({TAGS[(i + j) % len(TAGS)], TAGS[(i * 5 + j) % len(TAGS)]}),
        "url": f"https://spazio-{i:04d}.example/events/ev-{j:03d}",
    }
    if j % 2 == 0:
        body["description"] = _DESCRIPTION
    if j % 3 == 0:
        body["price_minor"] = 500
        body["currency"] = "EUR"
    return body


def space_feed(i: int, events: int, ts: int, today: datetime) -> tuple[str, list[Entry]]:
    """Space ``i``'s whole feed, signed by a key of its own: profile, events, its address."""
    key = NodeKey.from_seed(i.to_bytes(4, "big") * 8)
    entries = [build_entry(key, key.did, 1, None, ts, "space.profile", profile(i))]
    bodies: list[tuple[str, dict[str, Any]]] = [
        ("event.put", event(i, j, today)) for j in range(events)
    ]
    bodies.append(("peer.announce", {"peers": [{"id": key.did, "url": _url(i)}]}))
    for kind, body in bodies:
        last = entries[-1]
        entries.append(build_entry(key, key.did, last.seq + 1, last.hash, ts, kind, body))
    return key.did, entries


def _url(i: int) -> str:
    return f"https://spazio-{i:04d}.example"


def fill(data_dir: Path, spaces: int, events: int, say: Any) -> None:
    """Store ``spaces`` mirrored spaces of ``events`` upcoming events each on the node."""
    from node.network.syncing import NodeSyncStore
    from node.runtime import open_node

    node = open_node(str(data_dir), environ={})
    try:
        store = NodeSyncStore(node)
        ts = int(time.time() * 1000) - 60_000
        today = datetime.now(UTC)
        started = time.perf_counter()
        for i in range(spaces):
            origin, entries = space_feed(i, events, ts, today)
            store.store_page(origin, entries)
            if (i + 1) % 100 == 0:
                say(f"mirrored {i + 1}/{spaces} spaces ({time.perf_counter() - started:.0f} s)")
    finally:
        node.close()
