"""The README's tour (tests/tour/make_tour.py) runs against the demo network in headless
Chromium: every stop's page shows what its caption promises, each screenshot is saved at its
width, and the README shows every one of them."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from tests.e2e.browser import require_chromium
from tests.tour.make_tour import STOPS, take_tour

pytestmark = pytest.mark.e2e
README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_stop_of_the_tour_is_taken_and_shown_in_the_readme(tmp_path: Path) -> None:
    require_chromium()
    said: list[str] = []
    saved = take_tour(tmp_path / "tour", say=said.append)
    assert [path.name for path in saved] == [f"{stop.name}.png" for stop in STOPS]
    for stop, path in zip(STOPS, saved, strict=True):
        with Image.open(path) as image:
            assert image.size == stop.size, stop.name
    assert len(said) == len(STOPS)
    readme = README.read_text("utf-8")
    for stop in STOPS:
        assert f"(tests/tour/{stop.name}.png)" in readme, f"the README lacks {stop.name}.png"
        assert (README.parent / "tests" / "tour" / f"{stop.name}.png").exists()
