"""The spaces of the demo network: three that twin (New York, London, Prato) and up to
seventeen more, each with a realistic listing, a few upcoming events and members.

Plain data: :mod:`node.demo.network` turns each :class:`DemoSpace` into a node. Prices are in
minor units of the space's currency, as the feed carries them (protocol.md §resource.put).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
DAY_NAMES = [*WEEKDAYS, "Saturday", "Sunday"]  # in date.weekday() order


def hours(opens: str, closes: str, saturday: tuple[str, str] | None = None) -> list[dict[str, Any]]:
    """Opening hours Monday to Friday, and Saturday if given."""
    specs: list[dict[str, Any]] = [{"days": WEEKDAYS, "opens": opens, "closes": closes}]
    if saturday is not None:
        specs.append({"days": ["Saturday"], "opens": saturday[0], "closes": saturday[1]})
    return specs


@dataclass(frozen=True)
class DemoEvent:
    """An event ``days_ahead`` days from the demo's first run, at local wall times."""

    title: str
    days_ahead: int
    starts: str
    ends: str
    tags: tuple[str, ...] = ()
    description: str = ""
    price_minor: int | None = None


def event_day(space: DemoSpace, event: DemoEvent, today: date) -> date:
    """The day ``event`` takes place: from ``days_ahead`` days after ``today``, the first day
    ``space`` is open that is also the weekday the title names, if it names one ("Friday demo
    night" on a Friday, never on a weekend when the space is closed)."""
    from node.bookings.hours import day_span  # the node's own rule for an open day

    named = next((n for n, name in enumerate(DAY_NAMES) if name in event.title), None)
    start = today + timedelta(days=event.days_ahead)
    for ahead in range(14):
        day = start + timedelta(days=ahead)
        if named is not None and day.weekday() != named:
            continue
        if day_span(space.opening_hours, day) is not None:
            return day
    return start  # a space closed every day: the demo's spaces are not


@dataclass(frozen=True)
class DemoSpace:
    """One space of the demo network."""

    slug: str
    name: str
    city: str
    country: str
    timezone: str
    address: str
    currency: str
    latitude_e6: int
    longitude_e6: int
    description: str
    desk_day_minor: int
    room_hour_minor: int
    opening_hours: list[dict[str, Any]]
    amenities: tuple[str, ...] = ("wifi", "coffee")
    district: str = ""  # the part of the city: /network groups the spaces by it
    events: tuple[DemoEvent, ...] = ()
    members: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def profile(self) -> dict[str, Any]:
        """The profile fields ``init_node`` publishes in the first entry."""
        where = {"district": self.district} if self.district else {}
        return {
            "city": self.city,
            **where,
            "country": self.country,
            "address": self.address,
            "description": self.description,
            "latitude_e6": self.latitude_e6,
            "longitude_e6": self.longitude_e6,
            "amenities": list(self.amenities),
            "opening_hours": self.opening_hours,
        }

    def resources(self) -> list[dict[str, Any]]:
        """A hot-desk area and a meeting room, priced in the space's currency."""
        return [
            {
                "kind": "hot_desk",
                "name": "Hot desks",
                "capacity": 12,
                "price_day_minor": self.desk_day_minor,
                "currency": self.currency,
            },
            {
                "kind": "meeting_room",
                "name": "Meeting room",
                "capacity": 8,
                "price_hour_minor": self.room_hour_minor,
                "currency": self.currency,
                "description": "Screen, whiteboard and a window on the street.",
            },
        ]


NYC = DemoSpace(
    slug="wecreate-nyc",
    name="WeCreate NYC",
    city="New York",
    district="Garment District",
    country="US",
    timezone="America/New_York",
    address="315 W 36th St",
    currency="USD",
    latitude_e6=40_754_100,
    longitude_e6=-73_993_300,
    description="Studios and desks for makers in the Garment District.",
    desk_day_minor=3500,
    room_hour_minor=6000,
    opening_hours=hours("08:00", "20:00", ("10:00", "16:00")),
    amenities=("wifi", "coffee", "printer", "lockers"),
    events=(
        DemoEvent("Founders breakfast", 3, "08:30", "10:00", ("community", "startups")),
        DemoEvent("Design critique night", 6, "18:30", "21:00", ("design",)),
        DemoEvent("Open studio: hardware", 12, "17:00", "20:00", ("makers", "hardware")),
    ),
    members=("Grace Hopper", "Alan Kay", "Margaret Hamilton"),
)
CUBE = DemoSpace(
    slug="the-cube",
    name="The Cube",
    city="London",
    district="Clerkenwell",
    country="GB",
    timezone="Europe/London",
    address="42 Clerkenwell Rd",
    currency="GBP",
    latitude_e6=51_522_900,
    longitude_e6=-102_300,
    description="A coworking space for technology and social innovation in Clerkenwell.",
    desk_day_minor=2500,
    room_hour_minor=4000,
    opening_hours=hours("08:00", "20:00"),
    amenities=("wifi", "coffee", "kitchen", "bike_storage"),
    events=(
        DemoEvent("Climate tech meetup", 4, "18:00", "20:30", ("climate", "tech")),
        DemoEvent("Friday demo night", 9, "17:30", "20:00", ("demo", "community")),
    ),
    members=("Ada Lovelace", "Tim Berners-Lee"),
)
PRATO = DemoSpace(
    slug="prato-hub",
    name="Prato Hub",
    city="Prato",
    district="Centro storico",
    country="IT",
    timezone="Europe/Rome",
    address="Via Pomeria 12",
    currency="EUR",
    latitude_e6=43_880_800,
    longitude_e6=11_096_600,
    description="Scrivanie, laboratorio e sala riunioni accanto alle mura.",
    desk_day_minor=1500,
    room_hour_minor=2000,
    opening_hours=hours("09:00", "19:00", ("09:00", "13:00")),
    events=(
        DemoEvent(
            "Restauro e digitale: laboratorio aperto",
            5,
            "16:00",
            "19:00",
            ("restauro", "artigianato"),
        ),
        DemoEvent("Aperitivo dei mestieri", 10, "18:30", "20:30", ("community",), price_minor=500),
    ),
    members=("Giulia Rossi", "Marco Bianchi"),
)

# The joint event of the demo: The Cube hosts it and names its twin Prato Hub as a co-host,
# which confirms, so it shows on both calendars (ARCHITECTURE.md §Joint events).
JOINT_EVENT_ID = "crafts-and-code"
JOINT_EVENT = DemoEvent(
    "Crafts and code: London × Prato",
    8,
    "17:00",
    "19:00",
    ("community", "makers"),
    "An evening of The Cube and Prato Hub together: restorers show their workshop on a live "
    "link from Prato, coders show what they build for it.",
)

# More spaces for --nodes: (name, city, district, country, zone, currency, lat, lon).
_MORE = [
    (
        "Combo Firenze",
        "Firenze",
        "Santo Spirito",
        "IT",
        "Europe/Rome",
        "EUR",
        43_769_600,
        11_255_800,
    ),
    ("Warehouse Fano", "Fano", "Lido", "IT", "Europe/Rome", "EUR", 43_839_800, 13_019_400),
    (
        "Spazio Perugia",
        "Perugia",
        "Centro storico",
        "IT",
        "Europe/Rome",
        "EUR",
        43_110_700,
        12_389_000,
    ),
    ("Mugello Lavoro", "Borgo San Lorenzo", "", "IT", "Europe/Rome", "EUR", 43_955_000, 11_386_000),
    (
        "Genova Porto Cowork",
        "Genova",
        "Centro storico",
        "IT",
        "Europe/Rome",
        "EUR",
        44_405_600,
        8_946_300,
    ),
    (
        "Bologna Portici",
        "Bologna",
        "Santo Stefano",
        "IT",
        "Europe/Rome",
        "EUR",
        44_494_900,
        11_342_600,
    ),
    (
        "Torino Officine",
        "Torino",
        "San Salvario",
        "IT",
        "Europe/Rome",
        "EUR",
        45_070_300,
        7_686_900,
    ),
    ("Milano Navigli Desk", "Milano", "Navigli", "IT", "Europe/Rome", "EUR", 45_452_000, 9_176_000),
    (
        "Kreuzberg Tisch",
        "Berlin",
        "Kreuzberg",
        "DE",
        "Europe/Berlin",
        "EUR",
        52_499_000,
        13_403_000,
    ),
    ("Lisboa Mesa", "Lisboa", "Alfama", "PT", "Europe/Lisbon", "EUR", 38_722_300, -9_139_300),
    (
        "Gràcia Coworking",
        "Barcelona",
        "Gràcia",
        "ES",
        "Europe/Madrid",
        "EUR",
        41_402_900,
        2_156_500,
    ),
    (
        "Atelier Belleville",
        "Paris",
        "Belleville",
        "FR",
        "Europe/Paris",
        "EUR",
        48_872_000,
        2_384_000,
    ),
    (
        "Noord Werkplaats",
        "Amsterdam",
        "Noord",
        "NL",
        "Europe/Amsterdam",
        "EUR",
        52_384_000,
        4_902_000,
    ),
    ("Wien Schreibtisch", "Wien", "Neubau", "AT", "Europe/Vienna", "EUR", 48_208_200, 16_373_800),
    (
        "Dublin Docklands Desks",
        "Dublin",
        "Docklands",
        "IE",
        "Europe/Dublin",
        "EUR",
        53_347_000,
        -6_239_000,
    ),
    ("Athens Agora Work", "Athina", "Plaka", "GR", "Europe/Athens", "EUR", 37_975_500, 23_734_800),
    (
        "Montréal Mile End",
        "Montréal",
        "Mile End",
        "CA",
        "America/Toronto",
        "CAD",
        45_523_000,
        -73_600_000,
    ),
]

MAX_SPACES = 3 + len(_MORE)


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")


def _more(index: int) -> DemoSpace:
    name, city, district, country, zone, currency, lat, lon = _MORE[index]
    return DemoSpace(
        slug=_slug(name),
        name=name,
        city=city,
        district=district,
        country=country,
        timezone=zone,
        address=f"{city} centre",
        currency=currency,
        latitude_e6=lat,
        longitude_e6=lon,
        description=f"Desks and a meeting room in {city}.",
        desk_day_minor=1800,
        room_hour_minor=2500,
        opening_hours=hours("09:00", "18:00"),
        events=(DemoEvent(f"{city} open day", 7 + index % 7, "10:00", "13:00", ("community",)),),
        members=(f"Member of {name}",),
    )


def demo_spaces(count: int) -> list[DemoSpace]:
    """The first ``count`` spaces (3 … :data:`MAX_SPACES`): New York, London, Prato, then more."""
    if not 3 <= count <= MAX_SPACES:
        raise ValueError(f"the demo network has 3 to {MAX_SPACES} spaces")
    return [NYC, CUBE, PRATO, *(_more(i) for i in range(count - 3))]
