"""Our calls for collaboration (``project.put`` / ``project.close``): validate, publish, list;
and whether any space's call is still open.

A call is open while it is not closed and its deadline is today or later in the posting space's
time zone (protocol.md §project.put). That is a question of the reader's clock, so it is asked
here and never when an entry is verified: a call stays a valid entry after its deadline.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import fields, validate
from sqlalchemy.orm import Session

from node import published
from node.clock import local_today
from node.errors import Conflict, InvalidInput, NotFound
from node.messages import N_
from node.models import Project
from node.runtime import Node
from node.schemas import IDENT, URL, Line, Lines, StrictSchema
from node.services.ids import new_id
from node.services.publishing import drop_none, publish
from node.services.validation import load

MAX_SKILLS = 20


class ProjectSchema(StrictSchema):
    """What an admin sends to post or change a call (API, CLI and form share it)."""

    id = Line(validate=IDENT)
    title = Line(required=True, validate=validate.Length(1, 200))
    description = Lines(allow_none=True, validate=validate.Length(max=5000))
    skills = fields.List(
        Line(validate=validate.Length(1, 50)),
        allow_none=True,
        validate=validate.Length(max=MAX_SKILLS),
    )
    city = Line(allow_none=True, validate=validate.Length(1, 100))
    remote = fields.Boolean(allow_none=True)
    deadline = fields.Date(required=True)
    url = Line(allow_none=True, validate=URL)


class CloseSchema(StrictSchema):
    reason = Lines(validate=validate.Length(max=500))


def origin_today(session: Session, node: Node, origin: str) -> date:
    """Today in ``origin``'s time zone (its profile's; UTC when no profile has arrived)."""
    space = published.space(session, origin)
    timezone = str(space.profile["timezone"]) if space is not None else "UTC"
    return local_today(timezone, node.now_ms())


def is_open(session: Session, node: Node, row: Project) -> bool:
    """Not closed, and its deadline not passed where it was posted."""
    return not row.closed and row.deadline >= origin_today(session, node, row.origin).isoformat()


def get_project(session: Session, origin: str, project_id: str) -> Project:
    """The call ``project_id`` of ``origin`` (closed too), or 404 ``unknown-project``."""
    row = published.project(session, origin, project_id)
    if row is None:
        raise NotFound(
            N_("no call %(project_id)r", project_id=project_id), reason="unknown-project"
        )
    return row


def project_view(row: Project, is_open: bool) -> dict[str, Any]:
    """The public JSON shape of a call."""
    view = {**row.body, "origin": row.origin, "closed": row.closed, "open": is_open}
    if row.close_reason:
        view["close_reason"] = row.close_reason
    return view


def _body(session: Session, node: Node, data: dict[str, Any]) -> dict[str, Any]:
    """The ``project.put`` body of validated input: skills once each (as typed first), the
    deadline today or later at our space."""
    body = drop_none(data)
    today = origin_today(session, node, node.node_id)
    deadline: date = body["deadline"]
    if deadline < today:
        raise InvalidInput(
            N_(
                "deadline: %(deadline)s has passed (today is %(today)s here); give today or a "
                "later day",
                deadline=deadline.isoformat(),
                today=today.isoformat(),
            ),
            reason="deadline-passed",
            errors={"deadline": [N_("the deadline has passed")]},
        )
    body["deadline"] = deadline.isoformat()
    if "skills" in body:
        seen: set[str] = set()
        skills = []
        for skill in (s.strip() for s in body["skills"]):
            if skill and skill.lower() not in seen:
                seen.add(skill.lower())
                skills.append(skill)
        body["skills"] = skills
        if not skills:
            del body["skills"]
    return body


def add_project(session: Session, node: Node, data: Any) -> dict[str, Any]:
    """Validate and publish a new call of our space; returns its body."""
    body = _body(session, node, load(ProjectSchema(), data))
    body.setdefault("id", new_id(body["title"]))
    if published.project(session, node.node_id, body["id"]) is not None:
        raise Conflict(N_("call %(id)r already exists", id=body["id"]), reason="project-exists")
    publish(session, node, "project.put", body)
    return body


def update_project(session: Session, node: Node, project_id: str, data: Any) -> dict[str, Any]:
    """Change fields of an open call of ours (null clears an optional field); a closed call
    stays closed."""
    row = get_project(session, node.node_id, project_id)
    if row.closed:
        raise Conflict(
            N_("call %(project_id)r is closed", project_id=project_id), reason="project-closed"
        )
    changes = load(ProjectSchema(), data, partial=True)
    if "id" in changes and changes["id"] != project_id:
        raise InvalidInput(N_("id cannot change"), errors={"id": [N_("id cannot change")]})
    merged: dict[str, Any] = {**row.body, **changes}
    merged["deadline"] = date.fromisoformat(str(changes.get("deadline", row.body["deadline"])))
    body = _body(session, node, merged)
    publish(session, node, "project.put", body)
    return body


def close_project(session: Session, node: Node, project_id: str, data: Any = None) -> None:
    """Close a call of ours: answers are no longer taken."""
    values = load(CloseSchema(), data or {})
    row = get_project(session, node.node_id, project_id)
    if row.closed:
        raise Conflict(
            N_("call %(project_id)r is already closed", project_id=project_id),
            reason="project-closed",
        )
    body = {"id": project_id}
    if values.get("reason"):
        body["reason"] = values["reason"]
    publish(session, node, "project.close", body)


def our_projects(session: Session, node: Node, include_closed: bool = False) -> list[Project]:
    """Our space's calls, soonest deadline first."""
    return published.projects_of(session, node.node_id, include_closed)
