"""A tiny declarative validator for the bodies of signed documents.

``federation`` can't use marshmallow (it stays free of the node's stack), and the checks needed
are few: exact field sets, types, string lengths, integer ranges, enumerations, nested objects
and lists.
Every failure names the field path so the refusal reason is specific.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import resources
from typing import Any

from federation.errors import BodyError
from federation.keys import is_node_id

Check = Callable[[Any, str], None]


@dataclass(frozen=True)
class Field:
    """One field of an object: a check and whether it must be present."""

    check: Check
    required: bool = False


@dataclass(frozen=True)
class Obj:
    """An object with a closed set of fields (unknown fields are refused)."""

    fields: Mapping[str, Field] = field(default_factory=dict)
    # Derived once: every received entry's body passes through here (the sync hot path).
    _names: frozenset[str] = field(init=False, repr=False, compare=False)
    _required: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _checks: Mapping[str, Check] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_names", frozenset(self.fields))
        required = tuple(name for name, spec in self.fields.items() if spec.required)
        object.__setattr__(self, "_required", required)
        object.__setattr__(self, "_checks", {n: spec.check for n, spec in self.fields.items()})

    def __call__(self, value: Any, path: str) -> None:
        # type() first: an isinstance check against the Mapping ABC is slow, and it's nearly
        # always a plain dict.
        if type(value) is not dict and not isinstance(value, Mapping):
            raise BodyError(detail=f"{path or 'body'} must be an object")
        if not self._names.issuperset(value):
            unknown = set(value) - self._names
            raise BodyError(detail=f"{path or 'body'} has unknown field(s) {sorted(unknown)}")
        for name in self._required:
            if name not in value:
                sub = f"{path}.{name}" if path else name
                raise BodyError(detail=f"{sub} is required")
        # Only the fields present: all are known (checked above).
        checks = self._checks
        for name, item in value.items():
            checks[name](item, f"{path}.{name}" if path else name)


def req(check: Check) -> Field:
    return Field(check, required=True)


def opt(check: Check) -> Field:
    return Field(check, required=False)


# The checks below test ``type(value) is …`` before ``isinstance``: values parsed from JSON are
# exactly str, int, list, and the exact test is the cheaper one on the sync hot path.


# protocol.md §Entry types, *text*: the code points no string of a body may hold. NUL cannot be
# stored by PostgreSQL; the other C0 controls (carriage return among them), U+FFFE and U+FFFF
# cannot appear in XML 1.0 (Atom, XHTML); DEL and the C1 controls are terminal commands, not
# text. Multi-line members may hold tab and line feed; one-line members (names, titles, ids,
# tags, cities, URLs…) hold neither, so they fit a calendar line, a table cell or an HTTP header.
# Lone surrogates are refused earlier, by canonical JSON (protocol.md §Canonical form).
_NONCHARACTERS = "\ufffe\uffff"
ONE_LINE_FORBIDDEN = frozenset(
    [chr(c) for c in range(0x20)] + [chr(c) for c in range(0x7F, 0xA0)] + list(_NONCHARACTERS)
)
MULTI_LINE_FORBIDDEN = ONE_LINE_FORBIDDEN - {"\t", "\n"}
# The same sets as patterns, for code that cleans text rather than refusing it (imports, mail
# headers): one definition of what is not text.
ONE_LINE_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\ufffe\uffff]")
MULTI_LINE_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")
_ONE_LINE_BAD = ONE_LINE_CONTROLS.search
_MULTI_LINE_BAD = MULTI_LINE_CONTROLS.search


def is_text_line(value: str) -> bool:
    """True when ``value`` is one-line *text* (protocol.md §Entry types): no control at all."""
    return _ONE_LINE_BAD(value) is None


def is_text(value: str) -> bool:
    """True when ``value`` is multi-line *text*: no control but tab and line feed."""
    return _MULTI_LINE_BAD(value) is None


def text_problem(value: str, lines: bool = False) -> str | None:
    """Why ``value`` is not *text* (one-line unless ``lines``), naming the code point; or None.

    The message never repeats the input: it goes into logs, problem documents and terminals.
    """
    bad = (_MULTI_LINE_BAD if lines else _ONE_LINE_BAD)(value)
    if bad is None:
        return None
    code = ord(bad.group())
    if lines or bad.group() not in "\t\n":
        return f"must not contain the control character U+{code:04X}"
    return f"must be one line (no tab or line break, found U+{code:04X})"


def string(
    max_len: int, min_len: int = 0, pattern: str | None = None, *, lines: bool = False
) -> Check:
    """A string of ``min_len``..``max_len`` characters, *text* (multi-line if ``lines``), and
    matching ``pattern`` as a whole if one is given."""
    match = re.compile(pattern).fullmatch if pattern else None
    bad = _MULTI_LINE_BAD if lines else _ONE_LINE_BAD

    def check(value: Any, path: str) -> None:
        if type(value) is not str and not isinstance(value, str):
            raise BodyError(detail=f"{path} must be a string")
        if not min_len <= len(value) <= max_len:
            raise BodyError(detail=f"{path} must be {min_len}..{max_len} characters")
        if bad(value) is not None:
            raise BodyError(detail=f"{path} {text_problem(value, lines)}")
        if match is not None and match(value) is None:
            raise BodyError(detail=f"{path} has the wrong format")

    return check


def integer(minimum: int, maximum: int) -> Check:
    def check(value: Any, path: str) -> None:
        if type(value) is not int and (not isinstance(value, int) or isinstance(value, bool)):
            raise BodyError(detail=f"{path} must be an integer")
        if not minimum <= value <= maximum:
            raise BodyError(detail=f"{path} must be within {minimum}..{maximum}")

    return check


def boolean(value: Any, path: str) -> None:
    if not isinstance(value, bool):
        raise BodyError(detail=f"{path} must be true or false")


def one_of(*choices: str) -> Check:
    allowed = frozenset(choices)

    def check(value: Any, path: str) -> None:
        # The type test first: a list or object would make the set lookup raise TypeError.
        if type(value) is not str or value not in allowed:
            raise BodyError(detail=f"{path} must be one of {sorted(allowed)}")

    return check


def array(item: Check, max_items: int, unique: bool = False) -> Check:
    def check(value: Any, path: str) -> None:
        if type(value) is not list and not isinstance(value, list):
            raise BodyError(detail=f"{path} must be an array")
        if len(value) > max_items:
            raise BodyError(detail=f"{path} has more than {max_items} items")
        for index, element in enumerate(value):
            item(element, f"{path}[{index}]")
        if unique and _distinct(value) != len(value):
            raise BodyError(detail=f"{path} has duplicate items")

    return check


def _distinct(items: list[Any]) -> int:
    """How many different items (already checked to be of one type) a list holds."""
    try:
        return len(set(items))  # strings and integers, the common case
    except TypeError:
        return len({repr(v) for v in items})  # objects and lists are unhashable


def node_id(value: Any, path: str) -> None:
    if not is_node_id(value):
        raise BodyError(detail=f"{path} must be an Ed25519 did:key node id")


# [0-9], not \d: in Python's Unicode regexes \d also matches other scripts' digits.
_LOCAL_DATETIME = string(19, 16, r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?")
_DATE = string(10, 10, r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CLOCK_TIME = string(5, 5, r"([01][0-9]|2[0-3]):[0-5][0-9]|24:00")


# Years of local date-times. A zone's offset is under a day, so a wall time in these years has a
# UTC instant that Python's datetime can hold (year 1 east of UTC, or 9999 west of it, would
# overflow when a node converts it, and one such entry must not stop a node's sync).
MIN_YEAR, MAX_YEAR = 2, 9998


def local_datetime(value: Any, path: str) -> None:
    """``YYYY-MM-DDTHH:MM[:SS]`` wall-clock time, read in the document's ``timezone``."""
    _LOCAL_DATETIME(value, path)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise BodyError(detail=f"{path} is not a valid date-time") from exc
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise BodyError(detail=f"{path} must be in the years {MIN_YEAR:04d}..{MAX_YEAR}")


def iso_date(value: Any, path: str) -> None:
    _DATE(value, path)
    try:
        date.fromisoformat(value)
    except ValueError as exc:
        raise BodyError(detail=f"{path} is not a valid date") from exc


def _shipped_zones() -> frozenset[str]:
    text = resources.files("federation").joinpath("zones.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


# protocol.md §Entry types, *zone*: the fixed list the project ships (written by
# tests/make_zones.py), never the system's tz database, whose names differ from one system to
# the next (``localtime``, ``posix/…``, links): every node must admit and refuse alike.
ZONES = _shipped_zones()


def timezone(value: Any, path: str) -> None:
    """A *zone*: one of :data:`ZONES`."""
    if type(value) is not str or value not in ZONES:
        raise BodyError(
            detail=f"{path} is not a canonical IANA time zone of protocol v1, e.g. Europe/Rome"
        )


def clock_time(value: Any, path: str) -> None:
    """``HH:MM``, 00:00 to 24:00 (24:00 closes at the end of the day)."""
    _CLOCK_TIME(value, path)


URL = string(2000, 1, r"https?://[^\s]+")
IDENT = string(64, 1, r"[A-Za-z0-9][A-Za-z0-9._\-]*")
HEX64 = string(64, 64, r"[0-9a-f]{64}")
CURRENCY = string(3, 3, r"[A-Z]{3}")
COUNTRY = string(2, 2, r"[A-Z]{2}")
