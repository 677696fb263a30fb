"""The *text* rule of protocol.md §Entry types: characters no database or calendar can hold.

Every node must refuse them alike at verification (``bad-body``), so a body with a NUL in its
title never reaches a node whose database cannot store it.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from federation.errors import BodyError
from federation.version import validate_body
from tests.federation.builders import example_bodies

EXAMPLES = example_bodies()

# (entry type, path to the member): every one-line string member of the v1 bodies.
ONE_LINE = [
    ("space.profile", ("name",)),
    ("space.profile", ("address",)),
    ("space.profile", ("city",)),
    ("space.profile", ("district",)),
    ("space.profile", ("amenities", 0)),
    ("space.profile", ("links", 0, "title")),
    ("space.profile", ("links", 0, "url")),
    ("space.profile", ("contact", "email")),
    ("space.profile", ("contact", "url")),
    ("resource.put", ("name",)),
    ("event.put", ("title",)),
    ("event.put", ("tags", 0)),
    ("event.put", ("url",)),
]
MULTI_LINE = [
    ("space.profile", ("description",)),
    ("resource.put", ("description",)),
    ("event.put", ("description",)),
    ("event.cancel", ("reason",)),
    ("agreement.terminate", ("reason",)),
]

# Characters refused everywhere: NUL and the other C0 controls but tab and line feed, carriage
# return, DEL, the C1 controls, and the two code points XML 1.0 cannot hold.
EVERYWHERE = [
    "\x00",
    "\x01",
    "\x08",
    "\x0b",
    "\x0c",
    "\r",
    "\x1b",
    "\x1f",
    "\x7f",
    "\x80",
    "\x85",
    "\x9b",
    "\x9f",
    "\ufffe",
    "\uffff",
]
LINE_BREAKS = ["\n", "\t"]


def _with(entry_type: str, path: tuple[Any, ...], value: str) -> dict[str, Any]:
    body = copy.deepcopy(EXAMPLES[entry_type])
    target: Any = body
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return body


def _inside(entry_type: str, path: tuple[Any, ...], char: str) -> str:
    """A valid value of the member with ``char`` in its middle (URLs keep their scheme)."""
    if path[-1] == "url":
        return f"https://a.example/x{char}y"
    if path[-1] == "email":
        return f"a{char}b@c.example"
    return f"A{char}B"


@pytest.mark.parametrize(("entry_type", "path"), ONE_LINE + MULTI_LINE)
@pytest.mark.parametrize("char", EVERYWHERE)
def test_control_characters_are_refused_in_every_text_member(
    entry_type: str, path: tuple[Any, ...], char: str
) -> None:
    body = _with(entry_type, path, _inside(entry_type, path, char))
    with pytest.raises(BodyError) as info:
        validate_body(entry_type, body)
    assert info.value.reason == "bad-body"


@pytest.mark.parametrize(("entry_type", "path"), ONE_LINE)
@pytest.mark.parametrize("char", LINE_BREAKS)
def test_one_line_members_refuse_newline_and_tab(
    entry_type: str, path: tuple[Any, ...], char: str
) -> None:
    with pytest.raises(BodyError):
        validate_body(entry_type, _with(entry_type, path, _inside(entry_type, path, char)))


@pytest.mark.parametrize(("entry_type", "path"), MULTI_LINE)
def test_multi_line_members_keep_newline_and_tab(entry_type: str, path: tuple[Any, ...]) -> None:
    validate_body(entry_type, _with(entry_type, path, "First line\n\tsecond line\n\nthird"))


@pytest.mark.parametrize(("entry_type", "path"), ONE_LINE + MULTI_LINE)
def test_other_unicode_is_admitted(entry_type: str, path: tuple[Any, ...]) -> None:
    # Letters of any script, emoji, non-breaking and zero-width spaces, and the line separator
    # U+2028 (white space, not a control) are text; only the listed code points are refused.
    if path[-1] in ("url", "email"):
        return
    value = "Caffè日本🙂\u200bx" if path[0] == "tags" else "Caffè 日本 🙂\u00a0\u200b\u2028x"
    validate_body(entry_type, _with(entry_type, path, value))


def test_the_predicates_match_the_character_sets() -> None:
    from federation.schema import MULTI_LINE_FORBIDDEN, ONE_LINE_FORBIDDEN, is_text, is_text_line

    for code in range(0x110000):
        char = chr(code)
        if 0xD800 <= code <= 0xDFFF:
            continue  # lone surrogates never get this far (protocol.md §Canonical form)
        assert is_text_line(char) == (char not in ONE_LINE_FORBIDDEN)
        assert is_text(char) == (char not in MULTI_LINE_FORBIDDEN)
    assert MULTI_LINE_FORBIDDEN < ONE_LINE_FORBIDDEN
    assert {"\t", "\n"} == ONE_LINE_FORBIDDEN - MULTI_LINE_FORBIDDEN
