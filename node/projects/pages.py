"""The calls' pages: ``/network/projects`` (every open call the node knows of, filtered by skill,
city and deadline, a page at a time, with an Atom feed), a call's own page, the admin's
``/admin/projects`` (post, close, read answers, reply) and the member's ``/m/<secret>/projects``
(answer a call, read the replies).

Every action calls the use cases the CLI and the API call (node/projects/); a refusal shows
its message on the page and changes nothing. Text from other nodes is escaped by Jinja's
autoescaping here and by the XML serializer in the feed (ARCHITECTURE.md §Invariants).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Flask, Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from federation.keys import fingerprint
from node import paging, published
from node.errors import InvalidInput, NodeError
from node.http.context import node
from node.http.headers import keep_private
from node.http.marks import etagged
from node.messages import N_
from node.models import Member, Project
from node.projects import answers, service
from node.services.network import node_urls
from node.services.space import get_profile
from node.twinning.member_links import member_for_link
from node.version import __version__
from node.web import atom, forms
from node.web.admin_pages import PageResult, admin_page, no_store, require_login
from node.web.formatting import format_date, rfc3339_ms
from node.web.rendering import absolute_url, render

network = etagged(Blueprint("network_projects", __name__, url_prefix="/network"))
admin = Blueprint("admin_projects", __name__, url_prefix="/admin/projects")
admin.before_request(require_login)
admin.after_request(no_store)
member = Blueprint("member_projects", __name__, url_prefix="/m")

FILTERS = ("skill", "city", "until")
FEED_ENTRIES = 50
SUMMARY_CHARS = 1000


# -- the network's calls ----------------------------------------------------------------------


@dataclass(frozen=True)
class CallCard:
    """What a list shows of one call."""

    origin: str
    id: str
    title: str
    description: str
    skills: list[str]
    city: str
    remote: bool
    deadline: str
    url: str
    space: str
    space_url: str
    fingerprint: str
    page: str  # its page on this node

    @property
    def deadline_date(self) -> date:
        """The deadline as a date, for the pages' date filter (the request's language)."""
        return date.fromisoformat(self.deadline)


def parse_filters(args: Mapping[str, str]) -> tuple[dict[str, str], dict[str, Any]]:
    """The filters as typed (for the form and the next-page link) and as values; a bad one is
    :class:`InvalidInput` naming it."""
    raw = {name: args.get(name, "").strip() for name in FILTERS}
    values: dict[str, Any] = {}
    if raw["skill"]:
        if len(raw["skill"]) > 50:
            raise InvalidInput(N_("skill: at most 50 characters"))
        values["skill"] = raw["skill"]
    if raw["city"]:
        if len(raw["city"]) > 100:
            raise InvalidInput(N_("city: at most 100 characters"))
        values["city"] = raw["city"]
    if raw["until"]:
        try:
            values["until"] = date.fromisoformat(raw["until"])
        except ValueError as exc:
            raise InvalidInput(N_("until: give a date as YYYY-MM-DD")) from exc
    return raw, values


def _cursor(text: str) -> tuple[str, str, str] | None:
    key = paging.decode_cursor(text, 3)
    if key is None:
        return None
    try:
        date.fromisoformat(key[0])
    except ValueError as exc:
        raise InvalidInput(N_("after: not a page link of this list")) from exc
    return (key[0], key[1], key[2])


def _earliest_today() -> date:
    """The earliest "today" anywhere (UTC−12): no open call has an earlier deadline."""
    return (node().now() - timedelta(hours=12)).date()


def _cards(session: Any, rows: list[Project]) -> list[CallCard]:
    origins = {r.origin for r in rows}
    names = published.space_names(session, origins)
    urls = node_urls(session, node(), origins)
    return [
        CallCard(
            origin=r.origin,
            id=r.id,
            title=r.title,
            description=str(r.body.get("description") or ""),
            skills=list(r.body.get("skills", [])),
            city=str(r.body.get("city") or ""),
            remote=bool(r.body.get("remote", False)),
            deadline=r.deadline,
            url=str(r.body.get("url") or ""),
            space=names.get(r.origin, r.origin),
            space_url=urls.get(r.origin, ""),
            fingerprint=fingerprint(r.origin),
            page=url_for("network_projects.call", origin=r.origin, project_id=r.id),
        )
        for r in rows
    ]


def open_calls(
    session: Any, filters: Mapping[str, Any], after: tuple[str, str, str] | None, limit: int
) -> tuple[list[Project], tuple[str, str, str] | None]:
    """Up to ``limit`` open calls after ``after``, and the key the next page starts after
    (None at the end). Rows past their deadline in their own time zone are read but not shown,
    so the key is that of the last row read: nothing is skipped."""
    rows = published.query_projects(
        session, _earliest_today(), after=after, limit=limit + 1, **filters
    )
    more = len(rows) > limit
    rows = rows[:limit]
    key = (rows[-1].deadline, rows[-1].origin, rows[-1].id) if more and rows else None
    current = node()
    return [r for r in rows if service.is_open(session, current, r)], key


@network.get("/projects")
def calls() -> tuple[str, int]:
    """Open calls across the network by deadline, with ?skill= ?city= ?until=, a page of
    :data:`paging.PAGE_SIZE` at a time (?after= from the "next page" link)."""
    current = node()
    error, after = None, None
    try:
        raw, filters = parse_filters(request.args)
        after = _cursor(request.args.get("after", ""))
    except InvalidInput as exc:
        raw = {k: request.args.get(k, "").strip() for k in FILTERS}
        filters, error = {}, exc.detail
    cards: list[CallCard] = []
    next_page = None
    if error is None:
        with current.db.read() as session:
            rows, key = open_calls(session, filters, after, paging.PAGE_SIZE)
            cards = _cards(session, rows)
        next_page = paging.next_query(raw, key)
    query = {k: v for k, v in raw.items() if v}
    return render(
        "projects/network.html",
        status=400 if error else 200,
        calls=cards,
        filters=raw,
        filtered=any(raw.values()),
        next_page=next_page,
        first_page=after is not None,
        first_query=query,
        feed_query=query,
        error=error,
        canonical=absolute_url("network_projects.calls"),
    )


@network.get("/projects/<origin>/<project_id>")
def call(origin: str, project_id: str) -> tuple[str, int]:
    """One call's page (open or closed)."""
    current = node()
    with current.db.read() as session:
        row = service.get_project(session, origin, project_id)
        card = _cards(session, [row])[0]
        is_open = service.is_open(session, current, row)
    return render(
        "projects/call.html",
        call=card,
        is_open=is_open,
        closed=row.closed,
        close_reason=row.close_reason,
        canonical=absolute_url("network_projects.call", origin=origin, project_id=project_id),
    )


def _summary(card: CallCard) -> str:
    lines = [_("Answers until %(day)s.", day=format_date(card.deadline_date))]
    where = ", ".join(p for p in (card.city, _("remote possible") if card.remote else "") if p)
    if where:
        lines.append(where)
    if card.skills:
        lines.append(_("Skills sought: %(skills)s", skills=", ".join(card.skills)))
    description = card.description
    if len(description) > SUMMARY_CHARS:
        description = description[:SUMMARY_CHARS].rstrip() + "…"
    if description:
        lines.append(description)
    return "\n\n".join(lines)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    # Entry text holds no character XML cannot carry (protocol.md §Entry types, *text*); the
    # serializer escapes the rest.
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


@network.get("/projects.atom")
def feed() -> BaseResponse:
    """The open calls (same filters as the page) as Atom, newest change first."""
    current = node()
    try:
        raw, filters = parse_filters(request.args)
    except InvalidInput as exc:
        return render_problem(exc)
    with current.db.read() as session:
        ours = get_profile(session, current.node_id)
        rows = [
            r
            for r in published.recently_changed_projects(session, _earliest_today(), 500)
            if _matches(r, filters) and service.is_open(session, current, r)
        ][:FEED_ENTRIES]
        cards = _cards(session, rows)
    root = ET.Element("feed", {"xmlns": atom.ATOM_NS})
    _sub(root, "id", f"urn:spazi:{fingerprint(current.node_id)}:network-projects")
    _sub(root, "title", _("%(space)s: calls for collaboration", space=ours["name"]))
    _sub(root, "updated", rfc3339_ms(max([0, *(r.ts for r in rows)])))
    query = {k: v for k, v in raw.items() if v}
    _sub(
        root,
        "link",
        rel="self",
        type=atom.ATOM_MIMETYPE,
        href=absolute_url("network_projects.feed", **query),
    )
    _sub(
        root,
        "link",
        rel="alternate",
        type="text/html",
        href=absolute_url("network_projects.calls", **query),
    )
    _sub(_sub(root, "author"), "name", ours["name"])
    _sub(root, "generator", "Spazi", version=__version__)
    for row, card in zip(rows, cards, strict=True):
        entry = _sub(root, "entry")
        _sub(entry, "id", f"urn:spazi:{card.fingerprint}:project:{card.id}")
        _sub(entry, "title", card.title)
        _sub(entry, "updated", rfc3339_ms(row.ts))
        link = absolute_url("network_projects.call", origin=card.origin, project_id=card.id)
        _sub(entry, "link", rel="alternate", type="text/html", href=link)
        _sub(_sub(entry, "author"), "name", card.space)
        _sub(entry, "summary", _summary(card), type="text")
        for skill in card.skills:
            _sub(entry, "category", term=skill)
    document = ET.tostring(root, encoding="unicode")
    data = f'<?xml version="1.0" encoding="utf-8"?>\n{document}'.encode()
    return atom.feed_response(data)


def _matches(row: Project, filters: Mapping[str, Any]) -> bool:
    """The page's filters, applied to one call (the feed reads few rows)."""
    skill = str(filters.get("skill") or "").lower()
    if skill and f",{skill}," not in row.skills:
        return False
    if filters.get("city") and row.city != str(filters["city"]).lower():
        return False
    until = filters.get("until")
    return not (until is not None and row.deadline > until.isoformat())


def render_problem(exc: NodeError) -> BaseResponse:
    """A bad filter of the feed: a 400 page naming it."""
    from node.web.error_pages import error_page

    return error_page(400, _("These filters cannot be used"), exc.detail, exc.detail)


# -- the admin's calls --------------------------------------------------------------------------


def _form_data(form: Mapping[str, str]) -> dict[str, Any]:
    """The posted form as :class:`service.ProjectSchema` input."""
    from node import formats

    data: dict[str, Any] = {}
    for name in ("title", "description", "city", "deadline", "url"):
        value = form.get(name, "").strip()
        if value:
            data[name] = value
    if form.get("skills", "").strip():
        data["skills"] = formats.parse_items(form["skills"])
    data["remote"] = form.get("remote") == "on"
    return data


def _admin_page(status: int = 200, **context: Any) -> tuple[str, int]:
    current = node()
    with current.db.read() as session:
        rows = service.our_projects(session, current, include_closed=True)
        opened = {r.id: service.is_open(session, current, r) for r in rows}
        deadlines = {r.id: date.fromisoformat(r.deadline) for r in rows}
        found = answers.answers(session)
        matching = _matching(session, [r for r in rows if opened[r.id] and not r.closed])
    by_call: dict[str, list[answers.AnswerView]] = {}
    for answer in found:
        by_call.setdefault(answer.project_id, []).append(answer)
    context.setdefault("form", {})
    context.setdefault("errors", {})
    return admin_page(
        "projects/admin.html",
        status=status,
        calls=rows,
        opened=opened,
        deadlines=deadlines,
        answers=by_call,
        matching=matching,
        **context,
    )


def _matching(session: Any, rows: list[Project]) -> dict[str, list[tuple[str, int]]]:
    """For each open call of ours, each skill it seeks with how many people in the network's
    skills directory list it (node/people): whom the admin may invite to answer."""
    from node.people.service import people_with_skills

    sought = {skill for r in rows for skill in r.body.get("skills", [])}
    counts = people_with_skills(session, sought)
    return {r.id: [(s, counts.get(s, 0)) for s in r.body.get("skills", [])] for r in rows}


@admin.get("")
def page() -> tuple[str, int]:
    """Our calls with their answers, and the form to post one."""
    return _admin_page()


@admin.post("")
def add() -> PageResult:
    """Post a call: publishes ``project.put``."""
    current = node()
    form = {k: v for k, v in request.form.items() if k != "csrf_token"}
    try:
        with current.db.write() as session:
            body = service.add_project(session, current, _form_data(form))
    except NodeError as exc:
        errors = exc.extra.get("errors") if isinstance(exc, InvalidInput) else None
        fields = forms.service_errors(errors)
        return _admin_page(exc.status, form=form, errors=fields, message=exc.detail)
    flash(
        _(
            "Posted: “%(title)s”, answers until %(day)s.",
            title=body["title"],
            day=format_date(date.fromisoformat(body["deadline"])),
        )
    )
    return redirect(url_for("admin_projects.page"))


def _as_form(body: Mapping[str, Any]) -> dict[str, str]:
    """A call's body as the form's fields."""
    form = {k: str(body.get(k) or "") for k in ("title", "description", "city", "deadline", "url")}
    form["skills"] = ", ".join(body.get("skills", []))
    if body.get("remote"):
        form["remote"] = "on"
    return form


@admin.get("/<project_id>/edit")
def edit(project_id: str) -> tuple[str, int]:
    """The form of an open call of ours, filled in."""
    current = node()
    with current.db.read() as session:
        row = service.get_project(session, current.node_id, project_id)
    return admin_page(
        "projects/edit.html", call=row, form=_as_form(row.body), errors={}, message=None
    )


@admin.post("/<project_id>/edit")
def update(project_id: str) -> PageResult:
    """Change an open call: publishes ``project.put`` again."""
    current = node()
    form = {k: v for k, v in request.form.items() if k != "csrf_token"}
    data = _form_data(form)
    for name in ("description", "skills", "city", "url"):
        data.setdefault(name, None)  # an emptied field clears it
    try:
        with current.db.write() as session:
            service.update_project(session, current, project_id, data)
    except NodeError as exc:
        if exc.status == 404:
            raise
        errors = exc.extra.get("errors") if isinstance(exc, InvalidInput) else None
        fields = forms.service_errors(errors)
        with current.db.read() as session:
            row = service.get_project(session, current.node_id, project_id)
        return admin_page(
            "projects/edit.html",
            status=exc.status,
            call=row,
            form=form,
            errors=fields,
            message=exc.detail,
        )
    flash(_("Saved: the call is published again with its changes."))
    return redirect(url_for("admin_projects.page"))


@admin.post("/<project_id>/close")
def close(project_id: str) -> PageResult:
    """Close a call: publishes ``project.close``."""
    current = node()
    try:
        with current.db.write() as session:
            service.close_project(session, current, project_id, {})
    except NodeError as exc:
        if exc.status == 404:
            raise
        return _admin_page(exc.status, message=exc.detail)
    flash(_("Closed: the call takes no more answers."))
    return redirect(url_for("admin_projects.page"))


@admin.post("/answers/<int:answer_id>/reply")
def reply(answer_id: int) -> PageResult:
    """Reply to an answer: the member's space mails it to them."""
    current = node()
    try:
        with current.db.write() as session:
            answers.reply(session, current, answer_id, {"message": request.form.get("message", "")})
    except NodeError as exc:
        if exc.status == 404:
            raise
        return _admin_page(exc.status, message=exc.detail, reply_to=answer_id)
    flash(_("Reply sent: the member's space mails it to them."))
    return redirect(url_for("admin_projects.page"))


# -- the member's answers -------------------------------------------------------------------------


def _member_or_404(secret: str) -> Member:
    from node.errors import NotFound

    with node().db.read() as session:
        found = member_for_link(session, secret)
    if found is None:
        raise NotFound(N_("this link is not valid (any more): ask your space for a new one"))
    return found


def _private(response: BaseResponse) -> BaseResponse:
    # The URL is the credential (node/twinning/member_links.py).
    return keep_private(response)


def _member_page(secret: str, status: int = 200, **context: Any) -> BaseResponse:
    current = node()
    found = _member_or_404(secret)
    filters: dict[str, Any] = {}
    raw = {"skill": request.args.get("skill", "").strip()}
    if raw["skill"] and len(raw["skill"]) <= 50:
        filters["skill"] = raw["skill"]
    with current.db.read() as session:
        home = get_profile(session, current.node_id)
        rows, _key = open_calls(session, filters, None, paging.PAGE_SIZE)
        cards = [c for c in _cards(session, rows) if c.origin != current.node_id]
        mine = answers.member_answers(session, found.id)
        names = published.space_names(session, {a.origin for a in mine})
        titles = {
            (a.origin, a.project_id): (published.project(session, a.origin, a.project_id))
            for a in mine
        }
    sent = [
        {
            "space": names.get(a.origin, a.origin),
            "title": titles[(a.origin, a.project_id)].title  # type: ignore[union-attr]
            if titles[(a.origin, a.project_id)] is not None
            else a.project_id,
            "answer": a,
        }
        for a in mine
    ]
    context.setdefault("form", {})
    if request.args.get("sent") and "message" not in context:
        context["notice"] = _("Sent: your space passes your answer on; replies come by e-mail.")
    page, code = render(
        "projects/member.html",
        status=status,
        member=found,
        home=home,
        calls=cards,
        sent=sent,
        secret=secret,
        filters=raw,
        noindex=True,
        **context,
    )
    return _private(Response(page, status=code))


@member.get("/<secret>/projects")
def member_calls(secret: str) -> BaseResponse:
    """Open calls of other spaces, each with a form to answer it, and the member's answers."""
    return _member_page(secret)


@member.post("/<secret>/projects/<origin>/<project_id>")
def member_answer(secret: str, origin: str, project_id: str) -> BaseResponse:
    """Answer a call: our node sends it to the posting space in our member's name."""
    current = node()
    found = _member_or_404(secret)
    text = request.form.get("message", "")
    try:
        with current.db.write() as session:
            fresh = session.get(Member, found.id)
            if fresh is None:
                raise InvalidInput(N_("this member no longer exists"))
            answers.send_answer(session, current, fresh, origin, project_id, {"message": text})
    except NodeError as exc:
        if exc.status == 404 and exc.reason != "unknown-project":
            raise
        return _member_page(
            secret,
            status=exc.status,
            message=exc.detail,
            form={"origin": origin, "project": project_id, "message": text},
        )
    response = redirect(url_for("member_projects.member_calls", secret=secret, sent=1))
    return _private(response)


def init_app(app: Flask) -> None:
    """Register the calls' pages."""
    app.register_blueprint(network)
    app.register_blueprint(admin)
    app.register_blueprint(member)
