"""protocol.md and the protocol-version registry list the same entry types."""

from __future__ import annotations

import re
from pathlib import Path

from federation.version import V1

SPEC = (Path(__file__).resolve().parent.parent / "protocol.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = SPEC.index(f"\n## {title}\n")
    end = SPEC.find("\n## ", start + 1)
    return SPEC[start : end if end != -1 else len(SPEC)]


def test_every_registered_entry_type_has_a_section_in_entry_types_and_no_more() -> None:
    specified = set(re.findall(r"^### `([a-z]+\.[a-z]+)`$", _section("Entry types"), re.M))
    assert specified == set(V1.entry_types)


def test_published_state_says_what_every_entry_type_means() -> None:
    rows = set(re.findall(r"^\| `([a-z]+\.[a-z]+)` \|", _section("Published state"), re.M))
    assert rows == set(V1.entry_types)


def test_the_version_number_matches_the_spec_title_tags_and_paths() -> None:
    assert SPEC.startswith(f"# Spazi federation protocol, version {V1.number}\n")
    assert f"`{V1.tag_prefix}`" in _section("Versioning")
    assert f"`{V1.path_prefix}`" in _section("Versioning")
    assert "draft until the first release" in _section("Versioning")


def test_every_signature_tag_carries_the_version_prefix() -> None:
    from federation.signing import Tag

    assert all(tag.value.startswith(V1.tag_prefix.encode()) for tag in Tag)
