"""Signatures with a domain-separation tag per document kind."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from federation.canonical import canonicalize
from federation.encoding import b64u_decode, b64u_encode
from federation.errors import SignatureError
from federation.signing import Tag, decode_signature, sign, signing_input, verify
from tests.federation.builders import KEY_A, KEY_B

DOC = {"b": [1, 2, {"c": None}], "a": "héllo", "n": -7}
TAG_PAIRS = list(itertools.permutations(Tag, 2))


def test_tags_are_distinct_ascii_lines_none_a_prefix_of_another() -> None:
    values = [tag.value for tag in Tag]
    assert len(set(values)) == len(values)
    for value in values:
        assert value.startswith(b"spazi/v1/") and value.endswith(b"\n")
        assert value.isascii() and value.count(b"\n") == 1
    for one, other in itertools.permutations(values, 2):
        assert not other.startswith(one)


def test_signing_input_is_tag_then_canonical_bytes() -> None:
    assert signing_input(Tag.ENTRY, DOC) == b"spazi/v1/entry\n" + canonicalize(DOC)


@pytest.mark.parametrize("tag", list(Tag), ids=lambda t: t.name)
def test_sign_then_verify(tag: Tag) -> None:
    sig = sign(KEY_A, tag, DOC)
    assert len(sig) == 86 and "=" not in sig
    verify(KEY_A.public, tag, DOC, sig)
    # Same document, re-ordered keys: canonical form makes it the same signed message.
    verify(KEY_A.public, tag, dict(reversed(list(DOC.items()))), sig)


@pytest.mark.parametrize(("signed_as", "checked_as"), TAG_PAIRS, ids=lambda t: t.name)
def test_a_signature_of_one_tag_never_verifies_as_another(signed_as: Tag, checked_as: Tag) -> None:
    sig = sign(KEY_A, signed_as, DOC)
    with pytest.raises(SignatureError) as info:
        verify(KEY_A.public, checked_as, DOC, sig)
    assert info.value.reason == "bad-signature"


_SMALL_DOCS = st.dictionaries(
    st.text(max_size=5), st.one_of(st.integers(-1000, 1000), st.text(max_size=10)), max_size=4
)


@settings(max_examples=60)
@given(_SMALL_DOCS, st.sampled_from(TAG_PAIRS))
def test_cross_tag_property(doc: dict[str, Any], pair: tuple[Tag, Tag]) -> None:
    signed_as, checked_as = pair
    sig = sign(KEY_A, signed_as, doc)
    verify(KEY_A.public, signed_as, doc, sig)
    with pytest.raises(SignatureError) as info:
        verify(KEY_A.public, checked_as, doc, sig)
    assert info.value.reason == "bad-signature"


def test_other_key_or_changed_document_fails() -> None:
    sig = sign(KEY_A, Tag.ENTRY, DOC)
    with pytest.raises(SignatureError) as info:
        verify(KEY_B.public, Tag.ENTRY, DOC, sig)
    assert info.value.reason == "bad-signature"
    with pytest.raises(SignatureError) as info:
        verify(KEY_A.public, Tag.ENTRY, {**DOC, "n": -8}, sig)
    assert info.value.reason == "bad-signature"


def test_signature_bytes_flipped_fail() -> None:
    sig = b64u_decode(sign(KEY_A, Tag.ENTRY, DOC))
    for index in (0, 31, 32, 63):
        tampered = bytearray(sig)
        tampered[index] ^= 0x01
        with pytest.raises(SignatureError) as info:
            verify(KEY_A.public, Tag.ENTRY, DOC, b64u_encode(bytes(tampered)))
        assert info.value.reason == "bad-signature"


@pytest.mark.parametrize(
    "sig",
    [
        sign(KEY_A, Tag.ENTRY, DOC) + "==",  # padded
        sign(KEY_A, Tag.ENTRY, DOC)[:-2],  # 63 bytes
        b64u_encode(bytes(65)),
        sign(KEY_A, Tag.ENTRY, DOC).replace("-", "+").replace("_", "/") + "+/",  # base64, not url
        "!" * 86,
        None,
        12,
    ],
)
def test_bad_signature_encodings(sig: Any) -> None:
    with pytest.raises(SignatureError) as info:
        verify(KEY_A.public, Tag.ENTRY, DOC, sig)
    assert info.value.reason == "bad-signature-encoding"


def test_non_canonical_base64_tail_is_refused() -> None:
    """The last character of 86 carries 2 unused bits; a set unused bit is another spelling."""
    sig = sign(KEY_A, Tag.ENTRY, DOC)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    index = alphabet.index(sig[-1])
    other = sig[:-1] + alphabet[index ^ 0x01]
    with pytest.raises(SignatureError) as info:
        decode_signature(other)
    assert info.value.reason == "bad-signature-encoding"


_URLSAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@settings(max_examples=300)
@given(st.text(st.sampled_from(_URLSAFE + "+/=é"), min_size=84, max_size=88))
def test_decode_signature_agrees_with_the_general_decoder(text: str) -> None:
    """The fast path for 86-character signatures accepts exactly what b64u_decode accepts."""
    try:
        expected: bytes | None = b64u_decode(text)
    except Exception:
        expected = None
    if expected is not None and len(expected) != 64:
        expected = None
    try:
        got: bytes | None = decode_signature(text)
    except SignatureError as exc:
        assert exc.reason == "bad-signature-encoding"
        got = None
    assert got == expected


@given(st.binary(min_size=64, max_size=64))
def test_decode_signature_round_trip(raw: bytes) -> None:
    assert decode_signature(b64u_encode(raw)) == raw
