"""The schema of each entry type's body (protocol.md §Entry types).

The schemas are data: :mod:`federation.version` pairs each with its type name and its fold.
Bodies are closed: unknown fields are refused, required ones must be present and every string,
list and integer is bounded, so a valid entry can always be stored and shown safely.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from federation.agreements import check_agreement_shape
from federation.errors import BodyError
from federation.photos import PHOTOS, check_photos
from federation.schema import (
    COUNTRY,
    CURRENCY,
    HEX64,
    IDENT,
    URL,
    Obj,
    array,
    boolean,
    clock_time,
    integer,
    iso_date,
    local_datetime,
    node_id,
    one_of,
    opt,
    req,
    string,
    timezone,
)
from federation.vocabulary import DAYS, MAX_ANNOUNCED_PEERS, MAX_MINOR_UNITS, RESOURCE_KINDS

__all__ = ["DAYS", "MAX_ANNOUNCED_PEERS", "MAX_MINOR_UNITS", "RESOURCE_KINDS"]


_TEXT = string(5000, lines=True)  # multi-line text: descriptions (protocol.md §Entry types)
REASON = string(500, lines=True)
_NAME = string(200, 1)
_KEY = string(64, 44, r"z[1-9A-HJ-NP-Za-km-z]+")

OPENING_HOURS = Obj(
    {
        "days": req(array(one_of(*DAYS), 8, unique=True)),
        "opens": req(clock_time),
        # closes <= opens means the space closes after midnight (schema.org semantics).
        "closes": req(clock_time),
        "valid_from": opt(iso_date),
        "valid_through": opt(iso_date),
    }
)

SPACE_PROFILE = Obj(
    {
        "name": req(_NAME),
        "description": opt(_TEXT),
        "address": opt(string(500)),
        "city": opt(string(100)),
        # A part of the city (a district, quarter or neighbourhood): network pages group by it.
        "district": opt(string(100, 1)),
        "country": opt(COUNTRY),
        "timezone": req(timezone),
        # Coordinates in millionths of a degree: signed documents carry no floats.
        "latitude_e6": opt(integer(-90_000_000, 90_000_000)),
        "longitude_e6": opt(integer(-180_000_000, 180_000_000)),
        "opening_hours": opt(array(OPENING_HOURS, 50)),
        "amenities": opt(array(string(50, 1), 50, unique=True)),
        "contact": opt(
            Obj(
                {
                    "email": opt(string(254, 3, r"[^@\s]+@[^@\s]+")),
                    "phone": opt(string(40, 3, r"[0-9+() .\-]+")),
                    "url": opt(URL),
                }
            )
        ),
        "links": opt(array(Obj({"title": req(string(100, 1)), "url": req(URL)}), 20)),
        # protocol.md §Photos: each photo's files by hash; the bytes travel separately.
        "photos": opt(PHOTOS),
    }
)

RESOURCE_PUT = Obj(
    {
        "id": req(IDENT),
        "kind": req(one_of(*RESOURCE_KINDS)),
        "name": req(_NAME),
        "description": opt(_TEXT),
        "capacity": req(integer(1, 10_000)),
        "price_hour_minor": opt(integer(0, MAX_MINOR_UNITS)),
        "price_day_minor": opt(integer(0, MAX_MINOR_UNITS)),
        "currency": opt(CURRENCY),
    }
)

RESOURCE_REMOVE = Obj({"id": req(IDENT)})

EVENT_PUT = Obj(
    {
        "id": req(IDENT),
        "title": req(_NAME),
        "description": opt(_TEXT),
        "start": req(local_datetime),
        "end": req(local_datetime),
        "timezone": req(timezone),
        "capacity": opt(integer(1, 100_000)),
        "tags": opt(array(string(40, 1, r"[^\s,]+"), 20, unique=True)),
        "price_minor": opt(integer(0, MAX_MINOR_UNITS)),
        "currency": opt(CURRENCY),
        "cohosts": opt(array(node_id, 20, unique=True)),
        "url": opt(URL),
        "photos": opt(PHOTOS),
    }
)

EVENT_CANCEL = Obj({"id": req(IDENT), "reason": opt(REASON)})

# A call for collaboration (protocol.md §project.put): what the posting space seeks and until
# when; the posting space itself is the contact, and answers reach it through its inbox.
PROJECT_PUT = Obj(
    {
        "id": req(IDENT),
        "title": req(_NAME),
        "description": opt(_TEXT),
        "skills": opt(array(string(50, 1), 20, unique=True)),
        "city": opt(string(100, 1)),
        "remote": opt(boolean),
        "deadline": req(iso_date),
        "url": opt(URL),
    }
)

PROJECT_CLOSE = Obj({"id": req(IDENT), "reason": opt(REASON)})

# A co-host's word on another origin's event that names it in ``cohosts`` (protocol.md
# §cohost.confirm): the event is named by its author's node id and its id there.
COHOST_CONFIRM = Obj({"origin": req(node_id), "event": req(IDENT)})

COHOST_WITHDRAW = Obj({"origin": req(node_id), "event": req(IDENT), "reason": opt(REASON)})

AGREEMENT_TERMINATE = Obj({"id": req(HEX64), "reason": opt(REASON)})

PASS_REVOKE = Obj({"jti_hashes": req(array(HEX64, 1000, unique=True))})

KEY_ROTATE = Obj(
    {
        "new_key": req(_KEY),
        # Signature of the new key over {origin, seq, new_key} (tag key-rotate): proves possession.
        "new_key_sig": req(string(86, 86)),
        # Entries signed by the old key at or after this time (ms) are not to be trusted.
        "compromised_since": opt(integer(0, 2**53 - 1)),
    }
)

PEER_ANNOUNCE = Obj(
    {
        "peers": req(array(Obj({"id": req(node_id), "url": req(URL)}), MAX_ANNOUNCED_PEERS)),
    }
)


AGREEMENT_PUBLISH = Obj({"agreement": req(check_agreement_shape)})

# A member's network profile (protocol.md §profile.put): the entry carries only the SHA-256 of
# the profile's detached body, which travels beside the entry and can be dropped for good while
# the entry, and with it the chain, stays verifiable (federation/detached.py).
PROFILE_PUT = Obj({"id": req(IDENT), "body_hash": req(HEX64)})

PROFILE_WITHDRAW = Obj({"id": req(IDENT)})

PROFILE_MAX_BIO = 1000
PROFILE_MAX_SKILLS = 30
_PROFILE_TEXT = string(PROFILE_MAX_BIO, lines=True)

# The detached body of a ``profile.put``. ``salt`` is 16 random bytes: the hash left in the
# feed after the body is dropped then confirms no guess of what the body said.
PROFILE_BODY = Obj(
    {
        "salt": req(string(22, 22, r"[A-Za-z0-9_\-]{22}")),
        "name": req(string(100, 1)),
        "bio": opt(_PROFILE_TEXT),
        "skills": req(array(string(60, 1), PROFILE_MAX_SKILLS, unique=True)),
        "offers": opt(_PROFILE_TEXT),
        "seeks": opt(_PROFILE_TEXT),
        "languages": opt(array(string(40, 1), 10, unique=True)),
        "links": opt(array(Obj({"title": req(string(100, 1)), "url": req(URL)}), 5)),
    }
)


def check_event_times(body: Mapping[str, Any]) -> None:
    """``event.put`` across fields: the end follows the start; a price comes with a currency."""
    start, end = body["start"], body["end"]
    # Same length means same form, which compares correctly as text; otherwise compare as
    # date-times ("10:00" and "10:00:00" are the same instant).
    if len(start) == len(end):
        ended_first = end <= start
    else:
        ended_first = datetime.fromisoformat(end) <= datetime.fromisoformat(start)
    if ended_first:
        raise BodyError(detail="event end must be after its start")
    if ("price_minor" in body) != ("currency" in body) and body.get("price_minor") != 0:
        raise BodyError(detail="price_minor and currency go together")
    check_photos(body)


def check_profile(body: Mapping[str, Any]) -> None:
    """``space.profile`` across fields: its photos (protocol.md §Photos)."""
    check_photos(body)


def check_resource_prices(body: Mapping[str, Any]) -> None:
    """``resource.put`` across fields: a priced resource names its currency."""
    priced = "price_hour_minor" in body or "price_day_minor" in body
    if priced and "currency" not in body:
        raise BodyError(detail="a priced resource needs a currency")
