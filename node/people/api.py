"""The people part of the JSON API: ``GET /api/v1/people``, the network's member profiles by
skill and city (public, no token), and ``/api/v1/members/<id>/profile``, an admin publishing
(``PUT``, answered with the profile as published) and withdrawing (``DELETE``) a member's own
profile with the date the member consented, as ``spazi member profile`` and the admin page do;
in the OpenAPI document like the rest of ``/api/v1``."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify, request
from marshmallow import fields, validate

from node.http.api import admin_token
from node.http.apidoc import operation
from node.http.context import node
from node.http.marks import etagged
from node.http.problems import json_body
from node.http.responses import RESPONSES
from node.people import service
from node.schemas import Line, Lines, LinkSchema, StrictSchema
from node.services.validation import load

bp = etagged(Blueprint("people_api", __name__, url_prefix="/api/v1"))

_STRING = {"type": "string"}
_STRINGS = {"type": "array", "items": _STRING}
# The fields of a profile's detached body (protocol.md §Entry types, ``profile.put``), as the
# network's view of a person and the admin's view of a member's own profile both carry them.
_PROFILE = {
    "name": _STRING,
    "bio": _STRING,
    "skills": _STRINGS,
    "offers": _STRING,
    "seeks": _STRING,
    "languages": _STRINGS,
    "links": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["title", "url"],
            "properties": {"title": _STRING, "url": _STRING},
        },
    },
}
RESPONSES["PersonView"] = {
    "type": "object",
    "required": sorted([*_PROFILE, "origin", "id", "space", "city", "contact_url"]),
    "properties": {
        **_PROFILE,
        "origin": _STRING,
        "id": _STRING,
        "space": _STRING,
        "city": _STRING,
        "contact_url": {"type": "string", "nullable": True},
    },
}
RESPONSES["PeopleList"] = {
    "type": "object",
    "required": ["people", "total", "page", "next_page"],
    "properties": {
        "people": {"type": "array", "items": {"$ref": "#/components/schemas/PersonView"}},
        "total": {"type": "integer"},
        "page": {"type": "integer"},
        "next_page": {"type": "integer", "nullable": True},
    },
}


RESPONSES["MemberProfileView"] = {
    "type": "object",
    "required": ["id", "name", "skills", "consent_date", "consent_by"],
    "properties": {
        **_PROFILE,
        "id": _STRING,
        "consent_date": {"type": "string", "format": "date"},
        "consent_by": {"type": "string", "enum": ["admin", "member"]},
    },
}


class ProfilePublishSchema(StrictSchema):
    """A member's network profile as an admin publishes it: the fields' shapes here, their
    rules (lengths, how many skills, the links) in ``service.profile_document``, the one place
    the pages, the CLI and the API share."""

    name = Line(required=True)
    bio = Lines()
    offers = Lines()
    seeks = Lines()
    skills = fields.List(Line(), required=True)
    languages = fields.List(Line())
    links = fields.List(fields.Nested(LinkSchema))
    consent_date = fields.Date(required=True, format="iso")


class PeopleQuerySchema(StrictSchema):
    """Filters of the people list (query string)."""

    skill = Line(validate=validate.Length(1, 60))
    city = Line(validate=validate.Length(1, 100))
    page = fields.Integer(strict=False, validate=validate.Range(1, 10_000))


@operation(
    bp,
    "/people",
    "GET",
    "Member profiles across the network (skill and city ignore case and accents)",
    query=PeopleQuerySchema,
    returns="PeopleList",
)
def people() -> Response:
    query = load(PeopleQuerySchema(), dict(request.args))
    page = int(query.get("page", 1))
    current = node()
    with current.db.read() as session:
        found, total = service.search(
            session, current, skill=query.get("skill"), city=query.get("city"), page=page
        )
    more = page * service.PAGE_SIZE < total
    return jsonify(
        {
            "people": [person.to_dict() for person in found],
            "total": total,
            "page": page,
            "next_page": page + 1 if more else None,
        }
    )


@operation(
    bp,
    "/members/<int:member_id>/profile",
    "PUT",
    "Publish (or replace) a member's network profile, recording the date the member consented",
    admin=True,
    body=ProfilePublishSchema,
    returns="MemberProfileView",
)
def put_member_profile(member_id: int) -> Response:
    current = node()
    with current.db.write() as session:
        admin_token(session)
        data = load(ProfilePublishSchema(), json_body())
        consent_date = data.pop("consent_date").isoformat()
        service.publish_profile(
            session,
            current,
            member_id,
            data,
            consent=True,
            consent_by="admin",
            consent_date=consent_date,
        )
        profile = service.own_profile(session, current, member_id)
    return jsonify(profile)


@operation(
    bp,
    "/members/<int:member_id>/profile",
    "DELETE",
    "Withdraw a member's profile: every node that mirrored it erases its text when it syncs",
    admin=True,
    responses={"204": "Withdrawn, or there was none", "404": "Unknown member"},
)
def delete_member_profile(member_id: int) -> tuple[str, int]:
    # Idempotent, as a DELETE is: withdrawing a profile that is not published changes nothing.
    current = node()
    with current.db.write() as session:
        admin_token(session)
        service.withdraw_profile(session, current, member_id)
    return "", 204


def init_app(app: Flask) -> None:
    """Register this blueprint on ``app`` (a part of a feature record, ``node.features``)."""
    app.register_blueprint(bp)
