"""The calls part of the JSON API, in the OpenAPI document like the rest of ``/api/v1``: the
network's open calls for anyone, posting and closing ours with an admin token. The routes call
the use cases of node/projects/service.py, as the pages and the CLI do."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify, request
from marshmallow import fields, validate

from node import paging
from node.errors import InvalidInput
from node.http.api import admin_token
from node.http.apidoc import operation
from node.http.context import node
from node.http.problems import json_body
from node.projects import service
from node.projects.pages import open_calls, parse_filters
from node.schemas import Line, StrictSchema
from node.services.validation import load
from node.web.rendering import absolute_url

bp = Blueprint("projects_api", __name__, url_prefix="/api/v1")


class ProjectQuerySchema(StrictSchema):
    skill = Line(validate=validate.Length(1, 50))
    city = Line(validate=validate.Length(1, 100))
    until = fields.Date()


@operation(
    bp,
    "/projects",
    "GET",
    "Open calls for collaboration across the network, by deadline (?skill= ?city= ?until=)",
    query=ProjectQuerySchema,
    returns="ProjectList",
)
def list_projects() -> Response:
    empty = sorted(k for k, v in request.args.items() if v == "")
    if empty:
        # A form may send empty fields; an API client that sends one has a bug to hear about.
        raise InvalidInput(
            "; ".join(f"{k}: give a value or leave the parameter out" for k in empty),
            errors={k: ["Field may not be empty."] for k in empty},
        )
    load(ProjectQuerySchema(), request.args.to_dict())
    _, filters = parse_filters(request.args)
    current = node()
    with current.db.read() as session:
        rows, _ = open_calls(session, filters, None, paging.PAGE_SIZE * 10)
        views = [service.project_view(r, True) for r in rows]
    return jsonify({"projects": views})


@operation(
    bp,
    "/projects",
    "POST",
    "Post a call for collaboration of this space (deadline today or later)",
    admin=True,
    body=service.ProjectSchema,
    responses={"201": "Posted"},
    returns="ProjectView",
)
def post_project() -> tuple[Response, int]:
    current = node()
    with current.db.write() as session:
        admin_token(session)
        body = service.add_project(session, current, json_body())
        row = service.get_project(session, current.node_id, body["id"])
        view = service.project_view(row, service.is_open(session, current, row))
    response = jsonify(view)
    response.headers["Location"] = absolute_url(
        "network_projects.call", origin=current.node_id, project_id=body["id"]
    )
    return response, 201


@operation(
    bp,
    "/projects/<project_id>/close",
    "POST",
    "Close a call of this space: it takes no more answers",
    admin=True,
    body=service.CloseSchema,
    returns="ProjectView",
)
def close_project(project_id: str) -> Response:
    current = node()
    data = json_body() if request.content_length else {}
    with current.db.write() as session:
        admin_token(session)
        service.close_project(session, current, project_id, data)
        row = service.get_project(session, current.node_id, project_id)
        view = service.project_view(row, False)
    return jsonify(view)


def init_app(app: Flask) -> None:
    """Register the calls API (a part of the projects feature record)."""
    app.register_blueprint(bp)
