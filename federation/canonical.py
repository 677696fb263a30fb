"""Strict canonical JSON (RFC 8785, JCS) with Spazi's extra restrictions.

Signed documents hold only objects with string keys, arrays, strings, booleans, null and integers
within ±(2**53 - 1): no floats at all, so the number-formatting part of JCS never comes into play.
Received bytes are parsed strictly (duplicate keys, NaN/Infinity, floats, out-of-range integers and
lone surrogates refused) and verification always re-encodes what was parsed.

Speed: the ``rfc8785`` library is the reference encoder, but it is pure Python and costs about a
third of an Ed25519 verification per entry. For the documents we allow, the C-accelerated
``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` produces the very same
bytes, with one exception: JCS sorts keys by UTF-16 code units while Python sorts by code points,
and the two orders differ only when a key holds a character at or above U+E000. So we use the fast
encoder when the output has no such character and fall back to ``rfc8785`` otherwise.
``tests/federation/test_canonical.py`` checks the two agree on arbitrary documents.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import rfc8785

from federation.errors import CanonicalError

MAX_SAFE_INTEGER = 2**53 - 1
# Characters from U+E000 up sort differently by UTF-16 code units than by code points. In UTF-8
# they, and only they, start with a byte 0xEE or above: deleting every byte below leaves nothing
# exactly when the text holds none.
_BELOW_U_E000 = bytes(range(0xEE))
# One encoder built once: json.dumps with options builds a new one per call. No circular check:
# documents given to encode_checked come from parse_strict or passed check_document, whose depth
# limit already refuses a cycle, so tracking every container's id would be wasted work.
_FAST_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False
)


def _refuse_unknown(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _c_encoder() -> Callable[[Any], str]:
    """The json module's C encoder for ``_FAST_ENCODER``'s options, made once.

    ``JSONEncoder.encode`` rebuilds this C object (and a closure) on every call; on the sync hot
    path that is a sixth of the encoding time. It is what ``encode`` itself runs, built with the
    same arguments, so the output is identical; without the C accelerator, use ``encode``.
    """
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython always has it
        return _FAST_ENCODER.encode
    encoder = make(
        None, _refuse_unknown, json.encoder.encode_basestring, None, ":", ",", True, False, True
    )

    def encode(doc: Any) -> str:
        return "".join(encoder(doc, 0))

    return encode


_encode = _c_encoder()


def check_document(doc: Any, _depth: int = 0) -> None:
    """Raise :class:`CanonicalError` unless ``doc`` uses only the allowed JSON subset."""
    if _depth > 64:
        raise CanonicalError(detail="document nested deeper than 64 levels")
    if doc is None or doc is True or doc is False:
        return
    if isinstance(doc, str):
        _check_string(doc)
    elif isinstance(doc, int):
        if not -MAX_SAFE_INTEGER <= doc <= MAX_SAFE_INTEGER:
            raise CanonicalError(detail=f"integer {doc} is outside ±(2**53-1)")
    elif isinstance(doc, float):
        raise CanonicalError(detail="floats are not allowed in signed documents")
    elif isinstance(doc, Mapping):
        for key, value in doc.items():
            if not isinstance(key, str):
                raise CanonicalError(detail=f"object key {key!r} is not a string")
            _check_string(key)
            check_document(value, _depth + 1)
    elif isinstance(doc, list | tuple):
        for item in doc:
            check_document(item, _depth + 1)
    else:
        raise CanonicalError(detail=f"{type(doc).__name__} is not a JSON type")


def _check_string(value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CanonicalError(detail="lone surrogate in string") from exc


def encode_checked(doc: Any) -> bytes:
    """Canonical bytes of a document already known to be in the allowed subset.

    Callers that got ``doc`` from :func:`parse_strict` (which enforces the subset) use this to skip
    the structural walk on the hot verification path; everyone else calls :func:`canonicalize`.
    """
    text = _encode(doc)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CanonicalError(detail="lone surrogate in string") from exc
    # isascii() is O(1) on CPython (a flag of the string), so ASCII documents skip the scan.
    # Characters from U+E000 up are those whose UTF-8 begins with a byte 0xEE..0xF4; deleting all
    # lower bytes is a plain C loop, several times faster than a regex over the text.
    if not text.isascii() and data.translate(None, _BELOW_U_E000):
        return rfc8785.dumps(doc)
    return data


def canonicalize(doc: Any) -> bytes:
    """Return the RFC 8785 canonical bytes of ``doc`` after checking Spazi's restrictions."""
    check_document(doc)
    return encode_checked(doc)


def _pairs_no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise CanonicalError(detail=f"duplicate key {key!r}")
            seen.add(key)
    return result


def _refuse_float(text: str) -> Any:
    raise CanonicalError(detail=f"number {text} is not an integer")


def _refuse_constant(text: str) -> Any:
    raise CanonicalError(detail=f"{text} is not allowed")


def _bounded_int(text: str) -> int:
    value = int(text)
    if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        raise CanonicalError(detail=f"integer {text} is outside ±(2**53-1)")
    return value


def parse_strict(data: bytes | str, max_bytes: int | None = None) -> Any:
    """Parse received JSON strictly; raise :class:`CanonicalError` on anything outside the subset.

    ``max_bytes`` is checked before any parsing work (protocol.md §Security considerations, item 5).
    """
    if max_bytes is not None and len(data) > max_bytes:
        raise CanonicalError("too-large", f"document is {len(data)} bytes, limit {max_bytes}")
    if isinstance(data, bytes | bytearray):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CanonicalError(detail="not UTF-8") from exc
    else:
        text = data
        # A str can hold a raw lone surrogate, which bytes input can't (UTF-8 decoding refuses it).
        _check_string(text)
    try:
        doc = json.loads(
            text,
            object_pairs_hook=_pairs_no_duplicates,
            parse_float=_refuse_float,
            parse_int=_bounded_int,
            parse_constant=_refuse_constant,
        )
    except CanonicalError:
        raise
    except (ValueError, RecursionError) as exc:
        raise CanonicalError(detail=f"malformed JSON: {exc}") from exc
    # json.loads accepts "\ud800" escapes; a lone surrogate can't be encoded, so the walk finds it.
    if "\\u" in text:
        check_document(doc)
    return doc
