"""The JSON API under ``/api/v1``: public reads and admin writes (bearer token)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request, url_for
from sqlalchemy.orm import Session

from federation.keys import fingerprint
from node import paging, published
from node.clock import aware
from node.errors import InvalidInput, Unauthorized
from node.http.apidoc import build_spec, operation
from node.http.context import node
from node.http.marks import etagged, public_read
from node.http.problems import json_body, optional_json_body
from node.schemas import (
    CancelSchema,
    EventQuerySchema,
    EventSchema,
    MemberSchema,
    ProfileSchema,
    ResourceSchema,
)
from node.services import events, members, resources, space
from node.services.admin_auth import check_token
from node.version import __version__

bp = etagged(Blueprint("api", __name__, url_prefix="/api/v1"))
# Events per page of GET /api/v1/events unless ?limit= asks for fewer or more (at most 200).
API_PAGE = 100


def admin_token(session: Session) -> None:
    """Refuse the request unless it carries a live admin bearer token."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send an admin token: Authorization: Bearer <token>", reason="bad-token")
    check_token(session, token.strip())


def _created(data: Any, endpoint: str, **values: Any) -> tuple[Response, int]:
    """201 Created with the new object and a ``Location`` that reads it back."""
    response = jsonify(data)
    response.headers["Location"] = url_for(endpoint, **values)
    return response, 201


# -- public reads ------------------------------------------------------------------------------


@operation(bp, "/space", "GET", "The space's profile, node id and fingerprint", returns="SpaceView")
def get_space() -> Response:
    current = node()
    with current.db.read() as session:
        profile = space.get_profile(session, current.node_id)
    return jsonify(
        {
            **profile,
            "node_id": current.node_id,
            "fingerprint": fingerprint(current.node_id),
            "url": current.url,
        }
    )


@operation(
    bp,
    "/resources",
    "GET",
    "Resources (desks, rooms, offices) of the space",
    returns="ResourceList",
)
def list_resources() -> Response:
    current = node()
    with current.db.read() as session:
        rows = resources.list_resources(session, current.node_id)
        return jsonify({"resources": [resources.resource_view(r) for r in rows]})


@operation(
    bp,
    "/resources/<resource_id>",
    "GET",
    "One resource",
    responses={"200": "OK", "404": "Unknown"},
    returns="ResourceView",
)
def get_resource(resource_id: str) -> Response:
    current = node()
    with current.db.read() as session:
        return jsonify(
            resources.resource_view(resources.get_resource(session, current.node_id, resource_id))
        )


@operation(
    bp,
    "/events",
    "GET",
    "Events of the space, filtered by date range and tag",
    query=EventQuerySchema,
    returns="EventList",
)
def list_events() -> Response:
    current = node()
    empty = sorted(k for k, v in request.args.items() if v == "")
    if empty:
        # A form may send empty fields; an API client that sends one has a bug to hear about.
        raise InvalidInput(
            "; ".join(f"{k}: give a value or leave the parameter out" for k in empty),
            errors={k: ["Field may not be empty."] for k in empty},
        )
    filters = events.parse_query(request.args)
    limit = filters.pop("limit", API_PAGE)
    after = paging.event_cursor(filters.pop("after", ""))
    with current.db.read() as session:
        rows = published.query_events(
            session, origin=current.node_id, after=after, limit=limit + 1, **filters
        )
        page = [events.event_view(r) for r in rows[:limit]]
    next_url = None
    if len(rows) > limit:
        last = rows[limit - 1]
        query = paging.next_query(
            request.args.to_dict(), (aware(last.start_utc).isoformat(), last.origin, last.id)
        )
        values: dict[str, Any] = dict(query or {})
        next_url = url_for("api.list_events", **values)
    response = jsonify({"events": page, "next": next_url})
    if next_url:
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return response


@operation(
    bp,
    "/events/<event_id>",
    "GET",
    "One event",
    responses={"200": "OK", "404": "Unknown"},
    returns="EventView",
)
def get_event(event_id: str) -> Response:
    current = node()
    with current.db.read() as session:
        return jsonify(events.event_view(events.get_event(session, current.node_id, event_id)))


# -- admin writes ------------------------------------------------------------------------------


@operation(
    bp,
    "/space",
    "PATCH",
    "Change the profile (null removes a field)",
    admin=True,
    body=ProfileSchema,
    returns="ProfileView",
)
def patch_space() -> Response:
    current = node()
    with current.db.write() as session:
        admin_token(session)
        return jsonify(space.update_profile(session, current, json_body()))


@operation(
    bp,
    "/resources",
    "POST",
    "Add a resource",
    admin=True,
    body=ResourceSchema,
    responses={"201": "Created"},
    returns="ResourceView",
)
def post_resource() -> tuple[Response, int]:
    current = node()
    with current.db.write() as session:
        admin_token(session)
        created = resources.add_resource(session, current, json_body())
        return _created(created, "api.get_resource", resource_id=created["id"])


@operation(
    bp,
    "/resources/<resource_id>",
    "PATCH",
    "Change a resource",
    admin=True,
    body=ResourceSchema,
    returns="ResourceView",
)
def patch_resource(resource_id: str) -> Response:
    current = node()
    with current.db.write() as session:
        admin_token(session)
        return jsonify(resources.update_resource(session, current, resource_id, json_body()))


@operation(
    bp,
    "/resources/<resource_id>",
    "DELETE",
    "Remove a resource",
    admin=True,
    responses={"204": "Removed"},
)
def delete_resource(resource_id: str) -> tuple[str, int]:
    current = node()
    with current.db.write() as session:
        admin_token(session)
        resources.remove_resource(session, current, resource_id)
    return "", 204


@operation(
    bp,
    "/events",
    "POST",
    "Add an event",
    admin=True,
    body=EventSchema,
    responses={"201": "Created"},
    returns="EventView",
)
def post_event() -> tuple[Response, int]:
    current = node()
    with current.db.write() as session:
        admin_token(session)
        created = events.add_event(session, current, json_body())
        return _created(created, "api.get_event", event_id=created["id"])


@operation(
    bp,
    "/events/<event_id>",
    "PATCH",
    "Change an event",
    admin=True,
    body=EventSchema,
    returns="EventView",
)
def patch_event(event_id: str) -> Response:
    current = node()
    with current.db.write() as session:
        admin_token(session)
        return jsonify(events.update_event(session, current, event_id, json_body()))


@operation(
    bp,
    "/events/<event_id>/cancel",
    "POST",
    "Cancel an event",
    admin=True,
    body=CancelSchema,
    responses={"204": "Cancelled"},
    body_optional=True,
)
def cancel_event(event_id: str) -> tuple[str, int]:
    current = node()
    with current.db.write() as session:
        admin_token(session)
        events.cancel_event(session, current, event_id, optional_json_body())
    return "", 204


@operation(bp, "/members", "GET", "The space's members (private)", admin=True, returns="MemberList")
def list_members() -> Response:
    current = node()
    with current.db.write() as session:
        admin_token(session)
        return jsonify({"members": [members.member_view(m) for m in members.list_members(session)]})


@operation(
    bp,
    "/members",
    "POST",
    "Add a member",
    admin=True,
    body=MemberSchema,
    responses={"201": "Created"},
    returns="MemberView",
)
def post_member() -> tuple[Response, int]:
    current = node()
    with current.db.write() as session:
        admin_token(session)
        created = members.member_view(members.add_member(session, json_body()))
        return _created(created, "api.get_member", member_id=created["id"])


@operation(
    bp,
    "/members/<int:member_id>",
    "GET",
    "One member (private)",
    admin=True,
    responses={"200": "OK", "404": "Unknown"},
    returns="MemberView",
)
def get_member(member_id: int) -> Response:
    current = node()
    with current.db.write() as session:
        admin_token(session)
        return jsonify(members.member_view(members.get_member(session, member_id)))


@operation(
    bp,
    "/members/<int:member_id>",
    "DELETE",
    "Remove a member",
    admin=True,
    responses={"204": "Removed"},
)
def delete_member(member_id: int) -> tuple[str, int]:
    current = node()
    with current.db.write() as session:
        admin_token(session)
        members.remove_member(session, current, member_id)
    return "", 204


@bp.get("/openapi.json")
@public_read
def openapi() -> Response:
    """The OpenAPI 3 document (itself not an API operation)."""
    return jsonify(build_spec(__version__))


def init_app(app: Flask) -> None:
    """Register this blueprint on ``app`` (a part of a feature record, ``node.features``)."""
    app.register_blueprint(bp)
