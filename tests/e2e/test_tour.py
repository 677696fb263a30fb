"""The README's tour (tests/tour/make_tour.py) runs against the demo network in headless
Chromium: every stop's page shows what its caption promises, each screenshot is saved at its
width, and the README shows every one of them."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from tests.e2e.browser import require_chromium
from tests.tour.make_tour import LANGUAGES, STOPS, readme_section, shot_name, take_tour

pytestmark = pytest.mark.e2e
README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_stop_of_the_tour_is_taken_and_shown_in_the_readme(tmp_path: Path) -> None:
    require_chromium()
    said: list[str] = []
    saved = take_tour(tmp_path / "tour", say=said.append)
    expected = [shot_name(stop, lang) for lang in LANGUAGES for stop in STOPS]
    assert [path.name for path in saved] == expected
    sizes = {shot_name(stop, lang): stop.size for lang in LANGUAGES for stop in STOPS}
    for path in saved:
        with Image.open(path) as image:
            assert image.size == sizes[path.name], path.name
    assert len(said) == len(expected)
    # The README shows every picture, as make_tour.py --readme writes the list.
    assert readme_section() in README.read_text("utf-8")
    for name in expected:
        assert (README.parent / "tests" / "tour" / name).exists(), name
