"""The projectors of ``project.put`` and ``project.close``: each writes what its fold in
``federation.state`` means (protocol.md §Published state) to ``node.models.Project``."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from federation.entries import Entry
from node.models import Project
from node.projection import Page, Projector


def drop_projects(session: Session, origin: str) -> None:
    """Forget the calls of an origin (blocked, or its feed dropped)."""
    session.execute(delete(Project).where(Project.origin == origin))


def project_put(page: Page, entry: Entry) -> None:
    """``project.put``: the call row becomes this body, open, with its filter columns."""
    body = entry.body
    values = {
        "title": body["title"],
        "deadline": body["deadline"],
        "city": (body.get("city") or "").lower(),
        # ",skill one,skill two,": a skill is matched whole, as event tags are.
        "skills": "," + ",".join(s.lower() for s in body.get("skills", [])) + ","
        if body.get("skills")
        else "",
        "remote": bool(body.get("remote", False)),
        "closed": False,
        "close_reason": None,
        "seq": entry.seq,
        "ts": entry.ts,
    }
    page.put(Project, entry, values)


def project_close(page: Page, entry: Entry) -> None:
    """``project.close``: a tombstone with the reason; an id never put has no effect."""
    row = page.row(Project, (entry.origin, entry.body["id"]))
    if row is not None:
        page.assign(
            row, closed=True, close_reason=entry.body.get("reason"), seq=entry.seq, ts=entry.ts
        )


PROJECT_PROJECTORS = (
    Projector("project.put", project_put, drop_projects, keyed_rows=Project),
    Projector("project.close", project_close, drop_projects, keyed_rows=Project),
)
