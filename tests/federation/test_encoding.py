"""Unpadded base64url with one spelling per value, and hex SHA-256."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from federation.encoding import b64u_decode, b64u_encode, sha256_hex
from federation.errors import ProtocolError


@given(st.binary(max_size=200))
def test_round_trip_and_standard_spelling(data: bytes) -> None:
    text = b64u_encode(data)
    assert text == base64.urlsafe_b64encode(data).decode().rstrip("=")
    assert "=" not in text and "+" not in text and "/" not in text
    assert b64u_decode(text) == data


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("AA==", "expected unpadded base64url"),
        ("A", "expected unpadded base64url"),  # no byte has one character
        ("AB", "non-canonical base64url"),  # unused low bits set
        ("AAB", "non-canonical base64url"),
        ("+/8", "non-canonical base64url"),  # standard alphabet, not URL-safe
        ("AÁ", "expected unpadded base64url"),
    ],
)
def test_refusals(text: str, detail: str) -> None:
    with pytest.raises(ProtocolError) as info:
        b64u_decode(text)
    assert info.value.reason == "bad-encoding"
    assert info.value.detail == detail


@pytest.mark.parametrize("text", ["A A", "AA\n", "!!!!", "AAA.", "\u0410AAA"])
def test_characters_outside_the_alphabet_are_refused(text: str) -> None:
    with pytest.raises(ProtocolError) as info:
        b64u_decode(text)
    assert info.value.reason == "bad-encoding"


@pytest.mark.parametrize("value", [None, b"AA", 12])
def test_non_strings_are_refused(value: object) -> None:
    with pytest.raises(ProtocolError) as info:
        b64u_decode(value)  # type: ignore[arg-type]
    assert info.value.reason == "bad-encoding"


def test_empty() -> None:
    assert b64u_encode(b"") == "" and b64u_decode("") == b""


def test_sha256_hex() -> None:
    assert sha256_hex(b"abc") == hashlib.sha256(b"abc").hexdigest()
    assert sha256_hex(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
