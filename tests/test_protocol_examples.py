"""Every example in protocol.md is exactly a value of the known-answer vectors.

A marker line ``<!-- vector: FILE.json#POINTER -->`` is followed by a fenced block. POINTER is a
JSON pointer (RFC 6901) into ``tests/vectors/FILE.json``; a bare name (no leading ``/``) means
that top-level member. A string value must equal the block's text exactly (the fence's info
string and the line ends around the block are not part of it); any other value must equal the
block parsed as JSON.

Every vector file is shown at least once, and the spec holds no merge placeholders.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "protocol.md"
VECTORS = ROOT / "tests" / "vectors"
MARKER = re.compile(r"<!-- vector: (?P<file>[A-Za-z0-9_.-]+\.json)#(?P<pointer>[^ ]*) -->")


@dataclass(frozen=True)
class Example:
    """One marker of protocol.md and the fenced block after it."""

    line: int  # 1-based, of the marker
    file: str
    pointer: str
    block: str | None  # None when no fenced block follows the marker

    @property
    def label(self) -> str:
        return f"protocol.md:{self.line} {self.file}#{self.pointer}"


def find_examples(text: str) -> list[Example]:
    """Every marker in ``text`` with the content of the fenced block right after it."""
    lines = text.split("\n")
    found = []
    for index, line in enumerate(lines):
        match = MARKER.fullmatch(line.strip())
        if match is None:
            continue
        block = None
        if index + 1 < len(lines) and lines[index + 1].startswith("```"):
            try:
                end = lines.index("```", index + 2)
            except ValueError:
                end = -1
            if end > 0:
                block = "\n".join(lines[index + 2 : end])
        found.append(Example(index + 1, match["file"], match["pointer"], block))
    return found


def resolve(document: Any, pointer: str) -> Any:
    """The value at ``pointer`` (RFC 6901, or a bare top-level name) in ``document``."""
    if not pointer.startswith("/"):
        return document[pointer]
    value = document
    for raw in pointer[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        value = value[int(token)] if isinstance(value, list) else value[token]
    return value


@cache
def _load(name: str) -> Any:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def _spec_examples() -> list[Example]:
    if not SPEC.exists():
        return []
    return find_examples(SPEC.read_text(encoding="utf-8"))


EXAMPLES = _spec_examples()


def test_protocol_md_has_examples() -> None:
    assert SPEC.exists(), "protocol.md is missing"
    assert EXAMPLES, "protocol.md has no <!-- vector: FILE.json#POINTER --> markers"


def test_every_vector_file_appears_in_the_spec() -> None:
    shown = {example.file for example in EXAMPLES}
    files = {path.name for path in VECTORS.glob("*.json")}
    assert files - shown == set(), "vector files without an example in protocol.md"


def test_spec_has_no_placeholders() -> None:
    text = SPEC.read_text("utf-8")
    assert "TO MERGE" not in text and "TODO" not in text


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.label)
def test_example_equals_vector(example: Example) -> None:
    if not (VECTORS / example.file).exists():
        pytest.fail(f"{example.label}: tests/vectors/{example.file} does not exist")
    assert example.block is not None, f"{example.label}: no fenced block right after the marker"
    try:
        expected = resolve(_load(example.file), example.pointer)
    except (KeyError, IndexError, ValueError, TypeError):
        pytest.fail(f"{example.label}: the pointer names nothing in {example.file}")
    if isinstance(expected, str):
        assert example.block == expected, f"{example.label}: block differs from the vector"
    else:
        assert json.loads(example.block) == expected, f"{example.label}: JSON differs"


def test_marker_parsing() -> None:
    text = "\n".join(
        [
            "intro",
            "<!-- vector: entries.json#/entries/0/raw -->",
            "```json",
            "line one",
            "line two",
            "```",
            "<!-- vector: pass.json#token -->",
            "no block",
            "<!-- vector: a.json#/x~1y/0 -->",
            "```",
            "```",
        ]
    )
    found = find_examples(text)
    assert [(e.line, e.file, e.pointer, e.block) for e in found] == [
        (2, "entries.json", "/entries/0/raw", "line one\nline two"),
        (7, "pass.json", "token", None),
        (9, "a.json", "/x~1y/0", ""),
    ]
    assert resolve({"x/y": [5]}, "/x~1y/0") == 5
    assert resolve({"token": "t"}, "token") == "t"
    assert resolve({"a~b": {"c": 1}}, "/a~0b/c") == 1
