"""The joint-events part of the JSON API (admin bearer token): the events other spaces ask
this one to co-host, and the answers (ARCHITECTURE.md §Joint events). The routes call the same
use cases as ``spazi event cohost-*`` and ``/admin/cohosts`` (``node.services.cohosts``)."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify, request
from marshmallow import fields, validate

from node.http.api import admin_token
from node.http.apidoc import operation
from node.http.context import node
from node.http.problems import json_body
from node.runtime import Node
from node.schemas import Line, Lines, StrictSchema
from node.services import cohosts
from node.services.validation import load

bp = Blueprint("cohost_api", __name__, url_prefix="/api/v1")


class CohostQuerySchema(StrictSchema):
    state = fields.String(
        load_default=cohosts.PENDING, validate=validate.OneOf([*cohosts.STATES, "all"])
    )


class CohostAnswerSchema(StrictSchema):
    origin = Line(required=True, validate=validate.Length(1, 2000))  # node id, URL or name
    event = Line(required=True, validate=validate.Length(1, 64))


class CohostDeclineSchema(CohostAnswerSchema):
    reason = Lines(validate=validate.Length(max=cohosts.MAX_REASON))


def _answered(current: Node, origin: str, event_id: str) -> Response:
    """The event's entry in the list, as it stands after the answer."""
    with current.db.read() as session:
        found = cohosts.invitations(session, current, include_ended=True)
    for item in found:
        if (item.origin, item.event_id) == (origin, event_id):
            return jsonify(item.view())
    raise AssertionError("an answered event is always listed")  # pragma: no cover


@operation(
    bp,
    "/cohosts",
    "GET",
    "Events other spaces name this space as a co-host of (?state=pending by default, or "
    "confirmed, declined, withdrawn, all; all includes ended ones)",
    admin=True,
    query=CohostQuerySchema,
    returns="CohostList",
)
def list_cohosts() -> Response:
    current = node()
    query = load(CohostQuerySchema(), request.args.to_dict())
    state = query["state"]
    with current.db.read() as session:  # a read: no write lock taken for a listing
        admin_token(session)
        found = cohosts.invitations(
            session, current, None if state == "all" else state, include_ended=state == "all"
        )
    return jsonify({"cohosts": [item.view() for item in found]})


@operation(
    bp,
    "/cohosts/confirm",
    "POST",
    "Co-host another space's event that names this space (publishes cohost.confirm)",
    admin=True,
    body=CohostAnswerSchema,
    responses={"200": "OK", "404": "Unknown event", "409": "Already confirmed or cancelled"},
    returns="CohostView",
)
def confirm_cohost() -> Response:
    current = node()
    with current.db.write() as session:
        admin_token(session)
        data = load(CohostAnswerSchema(), json_body())
        row = cohosts.confirm(session, current, data["origin"], data["event"])
        key = (row.origin, row.id)
    return _answered(current, *key)


@operation(
    bp,
    "/cohosts/decline",
    "POST",
    "Decline a request (kept on this node); if confirmed, withdraw (publishes cohost.withdraw)",
    admin=True,
    body=CohostDeclineSchema,
    responses={"200": "OK", "404": "Unknown event", "409": "Already declined"},
    returns="CohostView",
)
def decline_cohost() -> Response:
    current = node()
    with current.db.write() as session:
        admin_token(session)
        data = load(CohostDeclineSchema(), json_body())
        origin = cohosts.resolve_author(session, current, data["origin"])
        cohosts.decline(session, current, origin, data["event"], data.get("reason"))
    return _answered(current, origin, data["event"])


@operation(
    bp,
    "/cohosts/withdraw",
    "POST",
    "Stop co-hosting a confirmed event (publishes cohost.withdraw)",
    admin=True,
    body=CohostDeclineSchema,
    responses={"200": "OK", "404": "Unknown event", "409": "Not confirmed"},
    returns="CohostView",
)
def withdraw_cohost() -> Response:
    current = node()
    with current.db.write() as session:
        admin_token(session)
        data = load(CohostDeclineSchema(), json_body())
        row = cohosts.withdraw(session, current, data["origin"], data["event"], data.get("reason"))
        key = (row.origin, row.id)
    return _answered(current, *key)


def init_app(app: Flask) -> None:
    """Register this blueprint on ``app`` (a part of a feature record, ``node.features``)."""
    app.register_blueprint(bp)
