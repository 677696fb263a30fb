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
from node.http.marks import etagged
from node.http.problems import json_body, optional_json_body
from node.messages import N_, joined
from node.projects import answers, service
from node.projects.pages import open_calls, parse_filters
from node.schemas import Line, StrictSchema
from node.services.validation import load
from node.web.rendering import absolute_url

bp = etagged(Blueprint("projects_api", __name__, url_prefix="/api/v1"))


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
            joined(
                N_("%(field)s: give a value or leave the parameter out", field=k) for k in empty
            ),
            errors={k: [N_("Field may not be empty.")] for k in empty},
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
    body_optional=True,
)
def close_project(project_id: str) -> Response:
    current = node()
    data = optional_json_body()
    with current.db.write() as session:
        admin_token(session)
        service.close_project(session, current, project_id, data)
        row = service.get_project(session, current.node_id, project_id)
        view = service.project_view(row, False)
    return jsonify(view)


@operation(
    bp,
    "/projects/<project_id>",
    "PATCH",
    "Change fields of an open call of this space (null clears an optional field)",
    admin=True,
    body=service.ProjectSchema,
    returns="ProjectView",
)
def patch_project(project_id: str) -> Response:
    current = node()
    with current.db.write() as session:
        admin_token(session)
        service.update_project(session, current, project_id, json_body())
        row = service.get_project(session, current.node_id, project_id)
        view = service.project_view(row, service.is_open(session, current, row))
    return jsonify(view)


class AnswerQuerySchema(StrictSchema):
    project = Line(validate=validate.Length(1, 64))


@operation(
    bp,
    "/project-answers",
    "GET",
    "Answers to this space's calls (?project= one call), newest first, with the replies",
    admin=True,
    query=AnswerQuerySchema,
    returns="AnswerList",
)
def list_answers() -> Response:
    query = load(AnswerQuerySchema(), request.args.to_dict())
    with node().db.read() as session:
        admin_token(session)
        found = answers.answers(session, query.get("project"))
    return jsonify({"answers": [answers.answer_json(a) for a in found]})


@operation(
    bp,
    "/project-answers/<int:answer_id>/reply",
    "POST",
    "Reply to an answer; the member's own space mails the reply to them",
    admin=True,
    body=answers.MessageSchema,
    responses={"201": "Queued for the member's space"},
    returns="ReplySent",
)
def reply(answer_id: int) -> tuple[Response, int]:
    current = node()
    with current.db.write() as session:
        admin_token(session)
        row = answers.reply(session, current, answer_id, json_body())
        body = {"id": row.id, "answer": row.answer_id, "message": row.message}
    return jsonify(body), 201


def init_app(app: Flask) -> None:
    """Register the calls API (a part of the projects feature record)."""
    app.register_blueprint(bp)
