"""The bodies the JSON API answers with, as OpenAPI components (one per shape), so every
success response in the document declares its schema (node/http/apidoc.py). Objects list the
fields a client can rely on; a later version may add fields, never remove these."""

from __future__ import annotations

from typing import Any

_STRING = {"type": "string"}
_TEXT = {"type": "string", "nullable": True}
_INT = {"type": "integer"}
_BOOL = {"type": "boolean"}
# protocol.md §Photos: each photo's alt text and files (hash, type, size, width, height); the
# bytes are at /photos/<hash>.
_PHOTOS = {"type": "array", "items": {"type": "object"}}


def _object(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "required": sorted(required),
        "properties": {**required, **(optional or {})},
    }


def _list(key: str, item: str, **extra: Any) -> dict[str, Any]:
    return _object(
        {key: {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}}, **extra}
    )


_TERMS = _object(
    {
        "days_per_member_month": _INT,
        "days_total_month": _INT,
        "resource_kinds": {"type": "array", "items": _STRING},
    }
)

RESPONSES: dict[str, dict[str, Any]] = {
    "SpaceView": _object(
        {
            "node_id": _STRING,
            "fingerprint": _STRING,
            "url": _STRING,
            "name": _STRING,
            "timezone": _STRING,
        },
        {
            "city": _STRING,
            "district": _STRING,
            "country": _STRING,
            "address": _STRING,
            "description": _STRING,
        },
    ),
    "ResourceView": _object(
        {"id": _STRING, "kind": _STRING, "name": _STRING, "capacity": _INT},
        {
            "origin": _STRING,
            "removed": _BOOL,
            "description": _STRING,
            "price_hour_minor": _INT,
            "price_day_minor": _INT,
            "currency": _STRING,
        },
    ),
    "ProfileView": _object(
        {"name": _STRING, "timezone": _STRING},
        {
            "city": _STRING,
            "district": _STRING,
            "country": _STRING,
            "address": _STRING,
            "description": _STRING,
            "photos": _PHOTOS,
        },
    ),
    "ResourceList": _list("resources", "ResourceView"),
    "EventView": _object(
        {"id": _STRING, "title": _STRING, "start": _STRING, "end": _STRING, "timezone": _STRING},
        {
            "origin": _STRING,
            "cancelled": _BOOL,
            "start_utc": {"type": "string", "format": "date-time"},
            "end_utc": {"type": "string", "format": "date-time"},
            "description": _STRING,
            "capacity": _INT,
            "tags": {"type": "array", "items": _STRING},
            "price_minor": _INT,
            "currency": _STRING,
            "url": _STRING,
            "cancel_reason": _STRING,
            "cohosts": {"type": "array", "items": _STRING},
            "photos": _PHOTOS,
        },
    ),
    "EventList": _list(
        "events",
        "EventView",
        next={
            "type": "string",
            "nullable": True,
            "description": "the next page, or null on the last",
        },
    ),
    "MemberView": _object(
        {"id": _INT, "name": _STRING, "email": _STRING, "plan": _STRING, "suspended": _BOOL}
    ),
    "MemberList": _list("members", "MemberView"),
    "AgreementView": _object(
        {
            "id": _STRING,
            "partner_id": _STRING,
            "partner_name": _TEXT,
            "state": _STRING,
            "we_give": _TERMS,
            "they_give": _TERMS,
            "valid_from": _STRING,
            "valid_until": _STRING,
            "ends_after": _TEXT,
            "reason": _TEXT,
        },
    ),
    "AgreementList": _list("agreements", "AgreementView"),
    "PassView": _object(
        {
            "jti": _STRING,
            "token": _STRING,
            "member_id": _INT,
            "partner_id": _STRING,
            "nbf": _INT,
            "exp": _INT,
            "day": _TEXT,
            "revoked": _BOOL,
        },
    ),
    "PassList": _list("passes", "PassView"),
    "CohostView": _object(
        {
            "origin": _STRING,
            "event": _STRING,
            "title": _STRING,
            "start": _STRING,
            "end": _STRING,
            "timezone": _STRING,
            "space": _STRING,
            "page_url": _STRING,
            "state": {"type": "string", "enum": ["pending", "confirmed", "declined", "withdrawn"]},
            "named": _BOOL,
            "cancelled": _BOOL,
            "ended": _BOOL,
            "reason": _TEXT,
        },
    ),
    "CohostList": _list("cohosts", "CohostView"),
    "CheckinList": _object(
        {
            "checkins": {
                "type": "array",
                "items": _object(
                    {"time": _STRING, "name": _STRING, "home_id": _STRING, "day": _STRING},
                    {"home_name": _STRING, "resource": _TEXT},
                ),
            }
        }
    ),
    "BookingView": _object(
        {
            "id": _INT,
            "day": _STRING,
            "start": _TEXT,
            "end": _TEXT,
            "resource": _STRING,
            "resource_name": _STRING,
            "resource_kind": _STRING,
            "name": _STRING,
            "home_id": _STRING,
            "home_name": _STRING,
            "created": _STRING,
            "cancelled": _BOOL,
        },
    ),
    "BookingList": _list("bookings", "BookingView"),
    "BookingMade": _object(
        {"booking": {"$ref": "#/components/schemas/BookingView"}, "link": _STRING}
    ),
    "ProjectView": _object(
        {
            "id": _STRING,
            "origin": _STRING,
            "title": _STRING,
            "deadline": _STRING,
            "closed": _BOOL,
            "open": _BOOL,
        },
        {
            "description": _STRING,
            "skills": {"type": "array", "items": _STRING},
            "city": _STRING,
            "remote": _BOOL,
            "url": _STRING,
            "close_reason": _STRING,
        },
    ),
    "ProjectList": _list("projects", "ProjectView"),
    "AnswerView": _object(
        {
            "id": _INT,
            "project": _STRING,
            "name": _STRING,
            "home": _STRING,
            "home_name": _STRING,
            "message": _STRING,
            "received": _STRING,
            "replies": {"type": "array", "items": _STRING},
        }
    ),
    "AnswerList": _list("answers", "AnswerView"),
    "ReplySent": _object({"id": _INT, "answer": _INT, "message": _STRING}),
    "CheckinResult": _object(
        {
            "admitted": _BOOL,
            "reason": _TEXT,
            "message": _STRING,
            "name": _TEXT,
            "home_id": _TEXT,
            "home_name": _TEXT,
            "day": _TEXT,
            "member_days_used": _INT,
            "member_days_allowed": _INT,
            "partner_days_used": _INT,
            "partner_days_allowed": _INT,
            "already_today": _BOOL,
        },
    ),
}
