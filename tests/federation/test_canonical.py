"""Strict canonical JSON: equal to RFC 8785 on every allowed document, strict on everything else."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from federation.canonical import (
    MAX_SAFE_INTEGER,
    canonicalize,
    check_document,
    encode_checked,
    parse_strict,
)
from federation.errors import CanonicalError

# Characters that stress the encoder: escapes, controls, the U+E000 boundary where UTF-16 and
# code-point order part ways, supplementary-plane characters (surrogate pairs in UTF-16).
_TRICKY = [
    '"', "\\", "/", "\x00", "\x08", "\t", "\n", "\x0c", "\r", "\x1f", "\x7f", "\x80", "é",
    "\u2028", "\u20ac", "\ud7ff", "\ue000", "\ufb33", "\uffff", "\U00010000", "\U0001f600",
    "\U0010ffff",
]  # fmt: skip
_CHAR = st.one_of(st.characters(exclude_categories=["Cs"]), st.sampled_from(_TRICKY))
_TEXT = st.text(_CHAR, max_size=12)
# Keys drawn mostly from the characters around U+E000, so sibling keys compare across it often.
_KEY = st.one_of(_TEXT, st.text(st.sampled_from(["a", "\ue000", "\ufb33", "\U0001f600", "\uffff"])))
_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER),
    st.sampled_from([0, -1, MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER]),
    _TEXT,
)
DOCUMENTS = st.recursive(
    _SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(_KEY, inner, max_size=6)),
    max_leaves=30,
)


@settings(max_examples=400)
@given(DOCUMENTS)
def test_canonical_bytes_equal_rfc8785(doc: Any) -> None:
    expected = rfc8785.dumps(doc)
    assert canonicalize(doc) == expected
    assert encode_checked(doc) == expected


@settings(max_examples=200)
@given(st.dictionaries(_KEY, _SCALAR, min_size=2, max_size=8))
def test_key_order_is_utf16_order(doc: dict[str, Any]) -> None:
    """Keys sort by UTF-16 code units (RFC 8785 §3.2.3), not by code points."""
    decoded = parse_strict(canonicalize(doc))
    keys = list(decoded)
    assert keys == sorted(doc, key=lambda k: k.encode("utf-16-be"))


@settings(max_examples=300)
@given(DOCUMENTS)
def test_round_trip(doc: Any) -> None:
    data = canonicalize(doc)
    assert parse_strict(data) == doc
    assert canonicalize(parse_strict(data)) == data


# RFC 8785 §3.2.3: sorting of keys, including a supplementary-plane key before U+FB33.
RFC8785_SORTING_INPUT = (
    '{"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\ufb33":"Hebrew Letter Dalet With Dagesh",'
    '"1":"One","\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control",'
    '"\\u00f6":"Latin Small Letter O With Diaeresis"}'
)
RFC8785_SORTING_OUTPUT = (
    '{"\\r":"Carriage Return","1":"One","\u0080":"Control",'
    '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",'
    '"\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
)
# RFC 8785 §3.2.2 without its "numbers" member (Spazi documents carry no floats).
RFC8785_STRINGS_INPUT = (
    '{"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
    '"literals":[null,true,false]}'
)
RFC8785_STRINGS_OUTPUT = '{"literals":[null,true,false],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (RFC8785_SORTING_INPUT, RFC8785_SORTING_OUTPUT),
        (RFC8785_STRINGS_INPUT, RFC8785_STRINGS_OUTPUT),
        ('{"b":[1,{"d":2,"c":null}],"a":true}', '{"a":true,"b":[1,{"c":null,"d":2}]}'),
        ('{ "a" : -0 }', '{"a":0}'),
        ("[9007199254740991,-9007199254740991]", "[9007199254740991,-9007199254740991]"),
    ],
)
def test_rfc8785_examples(source: str, expected: str) -> None:
    assert canonicalize(parse_strict(source.encode("utf-8"))) == expected.encode("utf-8")


def test_rfc8785_sorting_example_needs_utf16_order() -> None:
    """The example where code-point order (Python's sort_keys) would be wrong."""
    doc = parse_strict(RFC8785_SORTING_INPUT)
    keys = list(parse_strict(canonicalize(doc)))
    assert keys.index("\U0001f600") < keys.index("\ufb33")
    assert sorted(doc) != keys  # plain code-point order differs


@pytest.mark.parametrize(
    ("doc", "detail"),
    [
        ({"a": 1.0}, "floats"),
        ({"a": 0.5}, "floats"),
        ([float("nan")], "floats"),
        ([float("inf")], "floats"),
        ([-float("inf")], "floats"),
        ({"a": MAX_SAFE_INTEGER + 1}, "outside"),
        ({"a": -MAX_SAFE_INTEGER - 1}, "outside"),
        ({"a": 2**64}, "outside"),
        ({1: "a"}, "not a string"),
        ({None: "a"}, "not a string"),
        ({("a",): 1}, "not a string"),
        ({"a": "\ud800"}, "lone surrogate"),
        ({"\udc00": "a"}, "lone surrogate"),
        (["x\udbffy"], "lone surrogate"),
        ({"a": b"bytes"}, "not a JSON type"),
        ({"a": {1, 2}}, "not a JSON type"),
    ],
)
def test_canonicalize_refuses(doc: Any, detail: str) -> None:
    with pytest.raises(CanonicalError) as info:
        canonicalize(doc)
    assert info.value.reason == "non-canonical-json"
    assert detail in info.value.detail


def test_canonicalize_refuses_deep_nesting() -> None:
    doc: Any = 1
    for _ in range(70):
        doc = [doc]
    with pytest.raises(CanonicalError) as info:
        check_document(doc)
    assert "deeper than 64" in info.value.detail


def test_booleans_are_not_integers() -> None:
    assert canonicalize([True, False, 1, 0]) == b"[true,false,1,0]"


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (b'{"a":1.5}', "not an integer"),
        (b'{"a":1.0}', "not an integer"),
        (b'{"a":1e3}', "not an integer"),
        (b'{"a":1E-3}', "not an integer"),
        (b"[NaN]", "NaN is not allowed"),
        (b"[Infinity]", "Infinity is not allowed"),
        (b"[-Infinity]", "-Infinity is not allowed"),
        (b"[9007199254740992]", "outside"),
        (b"[-9007199254740992]", "outside"),
        (b"[123456789012345678901234567890]", "outside"),
        (b'{"a":1,"a":1}', "duplicate key 'a'"),
        (b'{"x":{"a":1,"b":2,"a":3}}', "duplicate key 'a'"),
        (b'"\\ud800"', "lone surrogate"),
        (b'"\\udc00x"', "lone surrogate"),
        (b'{"\\ud83d":1}', "lone surrogate"),
        (b'"\xed\xa0\x80"', "not UTF-8"),  # a raw (CESU-style) surrogate
        (b'"\xff"', "not UTF-8"),
        (b'"\xc3"', "not UTF-8"),
        (b'{"a":1', "malformed JSON"),
        (b"{'a':1}", "malformed JSON"),
        (b"[1,]", "malformed JSON"),
        (b"", "malformed JSON"),
        (b"\xef\xbb\xbf[1]", "malformed JSON"),  # a byte-order mark
    ],
)
def test_parse_strict_refuses(data: bytes, detail: str) -> None:
    with pytest.raises(CanonicalError) as info:
        parse_strict(data)
    assert info.value.reason == "non-canonical-json"
    assert detail in info.value.detail


def test_parse_strict_refuses_raw_lone_surrogate_in_str() -> None:
    with pytest.raises(CanonicalError) as info:
        parse_strict('["\ud800"]')
    assert "lone surrogate" in info.value.detail


def test_parse_strict_accepts_surrogate_pairs_and_limits() -> None:
    assert parse_strict(b'["\\ud83d\\ude00"]') == ["\U0001f600"]
    assert parse_strict(b"[9007199254740991,-9007199254740991]") == [
        MAX_SAFE_INTEGER,
        -MAX_SAFE_INTEGER,
    ]


def test_parse_strict_size_limit_is_checked_first() -> None:
    data = b'{"a":"' + b"x" * 100 + b'"}'
    assert parse_strict(data, max_bytes=len(data)) == {"a": "x" * 100}
    with pytest.raises(CanonicalError) as info:
        parse_strict(data, max_bytes=len(data) - 1)
    assert info.value.reason == "too-large"
    # Malformed *and* too large: the size is the reason, so no parsing happened.
    with pytest.raises(CanonicalError) as info:
        parse_strict(b"{" * 1000, max_bytes=10)
    assert info.value.reason == "too-large"


def test_encode_checked_equals_rfc8785_on_high_characters_in_values() -> None:
    doc = {"b": "\U0001f600", "a": "\ue000", "\ufb33": 1, "\U0001f600": 2}
    assert encode_checked(doc) == rfc8785.dumps(doc)
