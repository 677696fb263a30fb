"""Write ``federation/zones.txt``, the fixed list of time zones protocol v1 admits.

Run once, from the repository root, when the list is to be renewed on purpose (a protocol
change, protocol.md §Entry types, *zone*): ``.venv/bin/python tests/make_zones.py``. The list is
the zones of the ``tzdata`` package's ``zone1970.tab`` and ``zone.tab`` (the canonical zones,
and one per country, which a space names after its country), plus ``UTC``; no link of the
``backward`` file, no ``Etc/`` offsets, no files of a system's own database (``localtime``,
``posixrules``, ``posix/…``, ``right/…``). It is committed and never read from the system, so
every node refuses and admits the same names whatever its operating system ships.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import tzdata

OUT = Path(__file__).resolve().parents[1] / "federation" / "zones.txt"
TABLES = ("zone1970.tab", "zone.tab")


def zone_names() -> list[str]:
    """The canonical names of the installed ``tzdata`` package, sorted."""
    names = {"UTC"}
    for table in TABLES:
        text = resources.files("tzdata.zoneinfo").joinpath(table).read_text(encoding="utf-8")
        for line in text.splitlines():
            if line and not line.startswith("#"):
                names.add(line.split("\t")[2])  # code(s), coordinates, TZ, comments
    return sorted(names)


def main() -> None:
    """Write the list with a header naming its source."""
    names = zone_names()
    header = [
        "# Time zones of protocol v1 (protocol.md §Entry types, *zone*), one per line.",
        f"# Written by tests/make_zones.py from tzdata {tzdata.IANA_VERSION}: zone1970.tab,",
        "# zone.tab and UTC. Changing this list changes the protocol.",
    ]
    OUT.write_text("\n".join([*header, *names]) + "\n", encoding="utf-8")
    print(f"wrote {len(names)} zones to {OUT}")


if __name__ == "__main__":
    main()
