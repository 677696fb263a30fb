"""Time zones are canonical IANA names from the fixed list the project ships (protocol.md §Entry
types, *zone*): every node decides alike whatever tz database its system has."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from federation.errors import BodyError
from federation.schema import timezone

ZONES_FILE = Path(__file__).parents[2] / "federation" / "zones.txt"

# Names a system tz database may hold that are not portable: files of the local system, the
# "posix/" and "right/" (leap-second) trees, and backward-compatibility links.
NON_PORTABLE = [
    "localtime",
    "posixrules",
    "Factory",
    "right/UTC",
    "posix/Europe/Rome",
    "right/Europe/Rome",
    "US/Eastern",
    "GB",
    "Etc/GMT+5",
    "UCT",
    "Zulu",
    "zone.tab",
    "Europe/rome",
    "europe/Rome",
]


@pytest.mark.parametrize("name", NON_PORTABLE)
def test_non_portable_zone_names_are_refused(name: str) -> None:
    with pytest.raises(BodyError) as info:
        timezone(name, "timezone")
    assert info.value.reason == "bad-body"
    assert "timezone" in info.value.detail


@pytest.mark.parametrize(
    "name",
    [
        "UTC",
        "Europe/Rome",
        "America/New_York",
        "Asia/Kolkata",
        "America/Argentina/Buenos_Aires",
        "Europe/Vaduz",
    ],
)
def test_canonical_zone_names_are_admitted(name: str) -> None:
    timezone(name, "timezone")


def test_the_shipped_list_is_sorted_unique_and_every_zone_loads() -> None:
    from federation.schema import ZONES

    lines = ZONES_FILE.read_text(encoding="utf-8").splitlines()
    names = [line for line in lines if line and not line.startswith("#")]
    assert names == sorted(set(names))
    assert set(names) == ZONES
    assert len(names) > 300 and "UTC" in ZONES
    for name in names:
        ZoneInfo(name)  # from the system's database or the tzdata wheel, a dependency
