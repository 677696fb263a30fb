"""The people part of the JSON API: ``GET /api/v1/people``, the network's member profiles by
skill and city, in the OpenAPI document like the rest of ``/api/v1`` (public, no token)."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify, request
from marshmallow import fields, validate

from node.http.apidoc import operation
from node.http.context import node
from node.http.marks import etagged
from node.http.responses import RESPONSES
from node.people import service
from node.schemas import Line, StrictSchema
from node.services.validation import load

bp = etagged(Blueprint("people_api", __name__, url_prefix="/api/v1"))

_STRING = {"type": "string"}
_STRINGS = {"type": "array", "items": _STRING}
RESPONSES["PersonView"] = {
    "type": "object",
    "required": sorted(
        ["origin", "id", "name", "bio", "skills", "offers", "seeks", "languages", "links",
         "space", "city", "contact_url"]
    ),
    "properties": {
        "origin": _STRING,
        "id": _STRING,
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
        "space": _STRING,
        "city": _STRING,
        "contact_url": {"type": "string", "nullable": True},
    },
}  # fmt: skip
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


def init_app(app: Flask) -> None:
    """Register this blueprint on ``app`` (a part of a feature record, ``node.features``)."""
    app.register_blueprint(bp)
