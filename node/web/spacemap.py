"""A map of spaces drawn on the server: each space a dot at its published coordinates, in a
simple equirectangular projection fitted to the spaces shown, with a faint graticule for
orientation. No tiles and no script: the page stays one request, loads nothing from elsewhere
and works without JavaScript (ARCHITECTURE.md §Network pages).

This module only computes positions; ``templates/network/_map.html`` writes the SVG with Jinja's
autoescaping, so names from other nodes reach the markup escaped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

WIDTH = 600.0  # viewBox units; the SVG scales to its container (a phone's 390 px included)
MIN_HEIGHT = 180.0
MAX_HEIGHT = 420.0
MARGIN = 24.0  # around the dots, so none is cut at the edge
MIN_SPAN = 0.02  # degrees (about 2 km): one space, or a few in one street, still get a frame
# Graticule steps in degrees: the smallest that keeps lines at least MIN_GAP units apart is used.
STEPS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 45.0, 90.0)
MIN_GAP = 70.0


@dataclass(frozen=True)
class MapDot:
    """One space on the map."""

    name: str
    place: str
    url: str
    x: float
    y: float


@dataclass(frozen=True)
class GridLine:
    """A meridian (``vertical``) or parallel at ``at`` (viewBox units), labelled ``label``."""

    vertical: bool
    at: float
    label: str


@dataclass(frozen=True)
class SpaceMap:
    """What the template draws: the viewBox size, the dots and the graticule."""

    width: float
    height: float
    dots: list[MapDot]
    lines: list[GridLine]


def _degrees(value: float, positive: str, negative: str) -> str:
    text = f"{abs(value):.2f}".rstrip("0").rstrip(".")
    return f"{text}°{positive if value >= 0 else negative}" if value else "0°"


def _grid(low: float, high: float, units_per_degree: float) -> list[float]:
    """The round values of a graticule between ``low`` and ``high`` (degrees), at least
    :data:`MIN_GAP` viewBox units apart."""
    step = next((s for s in STEPS if s * units_per_degree >= MIN_GAP), STEPS[-1])
    first = math.ceil(low / step)
    return [round(n * step, 6) for n in range(first, math.floor(high / step) + 1)]


def _expand(low: float, high: float) -> tuple[float, float]:
    if high - low >= MIN_SPAN:
        return low, high
    middle = (low + high) / 2
    return middle - MIN_SPAN / 2, middle + MIN_SPAN / 2


def fit(spaces: Iterable[Mapping[str, Any]]) -> SpaceMap | None:
    """The map of ``spaces`` (mappings with ``name``, ``place``, ``url``, ``latitude_e6`` and
    ``longitude_e6``; those without both coordinates are left out), or None if none has them.

    x is the longitude scaled by the cosine of the middle latitude, y the latitude upside
    down: an equirectangular projection, true to shape near that latitude, fitted to the
    spaces' bounding box with a margin.
    """
    found = [
        (s, s["latitude_e6"] / 1e6, s["longitude_e6"] / 1e6)
        for s in spaces
        if isinstance(s.get("latitude_e6"), int) and isinstance(s.get("longitude_e6"), int)
    ]
    if not found:
        return None
    south, north = _expand(min(f[1] for f in found), max(f[1] for f in found))
    west, east = _expand(min(f[2] for f in found), max(f[2] for f in found))
    squeeze = max(math.cos(math.radians((south + north) / 2)), 0.05)
    span_x, span_y = (east - west) * squeeze, north - south
    inner = WIDTH - 2 * MARGIN
    scale = inner / span_x
    height = span_y * scale + 2 * MARGIN
    if height > MAX_HEIGHT:
        scale = (MAX_HEIGHT - 2 * MARGIN) / span_y
        height = MAX_HEIGHT
    height = max(height, MIN_HEIGHT)
    left = (WIDTH - span_x * scale) / 2
    top = (height - span_y * scale) / 2

    def x_of(lon: float) -> float:
        return round(left + (lon - west) * squeeze * scale, 1)

    def y_of(lat: float) -> float:
        return round(top + (north - lat) * scale, 1)

    dots = [
        MapDot(
            str(s["name"]), str(s.get("place") or ""), str(s.get("url") or ""), x_of(lon), y_of(lat)
        )
        for s, lat, lon in found
    ]
    # The graticule covers the whole frame, margins and any room left beside the spaces.
    x_per_degree = squeeze * scale
    meridians = _grid(
        west - left / x_per_degree, west + (WIDTH - left) / x_per_degree, x_per_degree
    )
    parallels = _grid(north - (height - top) / scale, north + top / scale, scale)
    lines = [GridLine(True, x_of(lon), _degrees(lon, "E", "W")) for lon in meridians]
    lines += [GridLine(False, y_of(lat), _degrees(lat, "N", "S")) for lat in parallels]
    return SpaceMap(WIDTH, round(height, 1), dots, lines)
