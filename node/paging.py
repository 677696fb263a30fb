"""Keyset pages for long lists (the network's spaces and events, the API's events): a page holds
at most ``PAGE_SIZE`` items (or the API's ``limit``) and ends with a "next page" link whose
``after`` cursor names the last item shown, so the next page starts right after it however many
items there are, with the same filters, and without JavaScript (ARCHITECTURE.md §Network
pages).

A cursor is opaque to people: the last item's sort key as base64url JSON. A cursor that does not
decode to the expected shape is refused with :class:`InvalidInput`, never half-used.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from datetime import datetime

from node.errors import InvalidInput
from node.messages import N_

PAGE_SIZE = 50  # items per network page: a phone's first screen stays far below 100 KiB
MAX_CURSOR = 600  # characters: a sort key of a few ids and a date


def encode_cursor(key: Sequence[str]) -> str:
    """The ``after`` value that starts a page right after the item whose sort key is ``key``."""
    raw = json.dumps(list(key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str, parts: int) -> tuple[str, ...] | None:
    """The sort key in an ``after`` value (None when there is none).

    Raises :class:`InvalidInput` unless ``text`` is a cursor of ``parts`` strings.
    """
    if not text:
        return None
    problem = InvalidInput(
        N_("after: not a page link of this list; start again from the first page")
    )
    if len(text) > MAX_CURSOR:
        raise problem
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise problem from exc
    if not (isinstance(key, list) and len(key) == parts and all(isinstance(k, str) for k in key)):
        raise problem
    return tuple(key)


def next_query(args: Mapping[str, str], key: Sequence[str] | None) -> dict[str, str] | None:
    """The query of the next page: the same filters, ``after`` the last item (None: no next)."""
    if key is None:
        return None
    query = {k: v for k, v in args.items() if v and k != "after"}
    query["after"] = encode_cursor(key)
    return query


def event_cursor(text: str) -> tuple[datetime, str, str] | None:
    """The (start, origin, id) key of an events list's ``after`` value (None when none)."""
    key = decode_cursor(text, 3)
    if key is None:
        return None
    try:
        start = datetime.fromisoformat(key[0])
    except ValueError as exc:
        raise InvalidInput(N_("after: not a page link of this list")) from exc
    if start.tzinfo is None:
        raise InvalidInput(N_("after: not a page link of this list"))
    return (start, key[1], key[2])
