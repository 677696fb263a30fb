"""Admin pages behind a password login: edit the profile, resources and events.

They call the same services as the JSON API and the CLI, one ``db.write()`` unit of work per
change, so a change and the signed feed entry that publishes it commit together, and a refused
change leaves nothing behind. Every POST carries a CSRF token (checked here, see ``node.web``).
The session cookie holds a session secret whose hash is an ``admin_sessions`` row, checked on
every request, so logging out (or a password change, ``spazi admin logout-everywhere``, removing
the admin) ends the session even for a copy of the cookie. Logins are throttled per account and
per address (``admin_auth``); passwords never reach a log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from marshmallow import Schema
from werkzeug.wrappers import Response as BaseResponse

from federation.keys import fingerprint
from federation.schema import ZONES
from node import formats, published
from node.errors import Forbidden, InvalidInput, NodeError, NotFound, Unauthorized
from node.feedcheck import alerts
from node.feedstore import head
from node.http.context import node
from node.messages import N_
from node.schemas import EventSchema, ProfileSchema, ResourceSchema
from node.services import admin_auth, cohosts, events, known_spaces, resources, space
from node.services.publishing import drop_none
from node.services.validation import load
from node.web import formatting, forms
from node.web.i18n import localized
from node.web.protection import DESK_ENDPOINTS, csrf
from node.web.rendering import render

bp = Blueprint("admin_pages", __name__, url_prefix="/admin")
log = logging.getLogger(__name__)

SESSION_USER = "admin_user_id"
SESSION_EMAIL = "admin_email"
SESSION_SECRET = "admin_session"  # noqa: S105 - a cookie key, not a secret
PUBLIC_ENDPOINTS = {"admin_pages.login", "admin_pages.welcome"}
# The dashboard lists events from this far back, so recent ones can still be corrected.
RECENT_DAYS = 30

PageResult = tuple[str, int] | BaseResponse


@bp.before_request
def require_login() -> BaseResponse | None:
    """CSRF check on every POST, then the login check on every page but the login form."""
    if request.method == "POST" and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    with node().db.read() as db_session:
        user = admin_auth.session_user(db_session, session.get(SESSION_SECRET))
        if user is not None:
            g.admin_user_id, g.admin_email, g.admin_role = user.id, user.email, user.role
            if user.role != "admin" and request.endpoint not in DESK_ENDPOINTS:
                # A front-desk login opens the desk page and nothing else.
                raise Forbidden(
                    N_("a front-desk login opens the desk page only"), reason="desk-only"
                )
            return None
    # Ended session, or unknown or removed user: forget the cookie and ask for a login.
    session.pop(SESSION_USER, None)
    session.pop(SESSION_EMAIL, None)
    session.pop(SESSION_SECRET, None)
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("admin_pages.login", next=target))


def allow_larger_body(limit: int, roles: tuple[str, ...] = ("admin",)) -> None:
    """Raise this request's body limit to ``limit`` when its session is a login with one of
    ``roles``. Called before :func:`require_login`, whose CSRF check parses the form: an upload
    form's larger limit must not let anyone else make the node read a body that large, so an
    anonymous request keeps the node's ``max_request_bytes``. Reads the session from the cookie
    and the database only; the body is not touched."""
    with node().db.read() as db_session:
        user = admin_auth.session_user(db_session, session.get(SESSION_SECRET))
        if user is not None and user.role in roles:
            request.max_content_length = limit


@bp.after_request
def no_store(response: Response) -> Response:
    # Admin pages show private state and hold CSRF tokens: never keep them in a cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def admin_page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    context.setdefault("noindex", True)
    context.setdefault("admin_email", session.get(SESSION_EMAIL))
    context.setdefault("admin_role", g.get("admin_role"))
    if context["admin_email"]:
        # What peers know against our own feed (a restored backup, a fork proof) is shown on
        # every admin page until it is dealt with (node.feedcheck).
        with node().db.read() as db_session:
            context.setdefault("own_feed_alerts", alerts(db_session, node().node_id))
    return render(template, status=status, **context)


def _safe_next(target: str | None) -> str:
    """Where to go after login: only a path inside the admin pages (no open redirect)."""
    base = url_for("admin_pages.dashboard")
    if (
        target
        and target.startswith(base)
        and "//" not in target
        and "\\" not in target
        and all(c.isprintable() for c in target)
    ):
        return target
    return base


# -- login --------------------------------------------------------------------------------------


def _address() -> str:
    # The client's address as the WSGI server reports it; behind a reverse proxy the
    # ``proxy_hops`` setting makes it the proxy's view of the client, not the proxy itself.
    return request.remote_addr or "unknown"


def _too_many(template: str, exc: admin_auth.TooManyAttempts, **context: Any) -> BaseResponse:
    """The form again with 429 and ``Retry-After``: the lock refuses even the right password."""
    body, status = admin_page(template, status=429, error=exc.detail, **context)
    response = make_response(body, status)
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _count_failure(keys: tuple[str, str], email: str, what: str) -> None:
    """Record a failed password check and log it, and any lock it earns (never the password)."""
    current = node()
    with current.db.write() as db_session:
        locks = admin_auth.record_failure(db_session, keys, current.now())
    # The email in the log helps an admin spot guessing; the password is never logged.
    log.warning("%s for %r from %s", what, email[:254], _address())
    for key, seconds in locks:
        log.warning("admin login locked for %d s after repeated failures: %r", seconds, key)


@bp.route("/login", methods=["GET", "POST"])
def login() -> PageResult:
    """Email and password; the same answer for an unknown email and a wrong password."""
    next_url = request.values.get("next") or ""
    if request.method == "GET":
        return admin_page("admin/login.html", form={"email": ""}, next=next_url)
    email = request.form.get("email", "")
    password = request.form.get("password", "")
    current = node()
    keys = admin_auth.throttle_keys(email, _address())
    context = {"form": {"email": email}, "next": next_url}
    try:
        with current.db.read() as db_session:
            admin_auth.check_not_locked(db_session, keys, current.now())
            user = admin_auth.check_login(db_session, email, password)
            user_id, user_email, role = user.id, user.email, user.role
        with current.db.write() as db_session:
            # Checked again: a parallel attempt may have earned a lock meanwhile.
            admin_auth.check_not_locked(db_session, keys, current.now())
            admin_auth.forget_failures(db_session, keys[0])
            secret = admin_auth.open_session(db_session, user_id, current.now())
    except admin_auth.TooManyAttempts as exc:
        log.warning("admin login for %r from %s refused: locked", email[:254], _address())
        return _too_many("admin/login.html", exc, **context)
    except Unauthorized as exc:
        _count_failure(keys, email, "admin login refused")
        # 403: credentials were given and are not good enough (401 would need a WWW-Authenticate
        # scheme, which a form login does not have).
        return admin_page("admin/login.html", status=403, error=exc.detail, **context)
    # A fresh session on login, so nothing set before it (by anyone) carries over.
    session.clear()
    session[SESSION_USER] = user_id
    session[SESSION_EMAIL] = user_email
    session[SESSION_SECRET] = secret
    log.info("admin %s logged in from %s", user_email, _address())
    if role != "admin":
        return redirect(url_for("twinning_admin.desk_page"))
    return redirect(_safe_next(next_url))


@bp.route("/welcome/<secret>", methods=["GET", "POST"])
def welcome(secret: str) -> PageResult:
    """An invited admin chooses their password with the mailed link (node/services/
    admin_invites.py), then is logged in; the link works once."""
    current = node()
    with current.db.read() as db_session:
        user = admin_auth.invited_user(db_session, secret, current.now())
        email = user.email if user is not None else ""
    if user is None:
        raise NotFound(
            N_("this invitation link is not valid (any more): ask an admin to invite you again"),
            reason="unknown-invite",
        )
    context: dict[str, Any] = {
        "email": email,
        "secret": secret,
        "min_length": admin_auth.MIN_PASSWORD,
    }
    if request.method == "GET":
        return admin_page("admin/welcome.html", **context)
    password = request.form.get("password", "")
    if password != request.form.get("repeat", ""):
        return admin_page(
            "admin/welcome.html", 422, error=_("The two passwords differ."), **context
        )
    try:
        with current.db.write() as db_session:
            user = admin_auth.accept_invite(db_session, secret, password, current.now())
            user_id, role = user.id, user.role
            session_secret = admin_auth.open_session(db_session, user_id, current.now())
    except InvalidInput as exc:
        return admin_page("admin/welcome.html", exc.status, error=exc.detail, **context)
    session.clear()
    session[SESSION_USER] = user_id
    session[SESSION_EMAIL] = email
    session[SESSION_SECRET] = session_secret
    log.warning("admin %s set their password with an invitation link", email)
    return redirect(
        url_for("twinning_admin.desk_page" if role != "admin" else "admin_pages.dashboard")
    )


@bp.post("/logout")
def logout() -> BaseResponse:
    """End this session on the server (a copy of the cookie stops working too)."""
    with node().db.write() as db_session:
        admin_auth.end_session(db_session, session.get(SESSION_SECRET))
    session.clear()
    flash(_("You are logged out."))
    return redirect(url_for("pages.home"))


@bp.post("/logout-elsewhere")
def logout_elsewhere() -> BaseResponse:
    """End every other session of mine (another browser, a lost phone); this one goes on.
    The same service as ``spazi admin logout-everywhere``."""
    current = node()
    with current.db.write() as db_session:
        user = admin_auth.find_user(db_session, g.admin_email)
        ended = admin_auth.end_sessions(db_session, user.id, keep=session.get(SESSION_SECRET))
    log.warning("admin %s ended %d other sessions from %s", g.admin_email, ended, _address())
    flash(_("Your other sessions have ended (%(ended)s).", ended=ended))
    return redirect(url_for("admin_pages.password"))


def _other_sessions() -> int:
    current = node()
    with current.db.read() as db_session:
        user = admin_auth.find_user(db_session, g.admin_email)
        return admin_auth.other_sessions(db_session, user.id, session.get(SESSION_SECRET))


@bp.route("/password", methods=["GET", "POST"])
def password() -> PageResult:
    """Change my password: the current one (throttled like a login), the new one twice; every
    other session of mine ends, this one goes on."""
    template = "admin/password.html"
    if request.method == "GET":
        return admin_page(template, errors={}, others=_other_sessions())
    current = node()
    email: str = g.admin_email
    keys = admin_auth.throttle_keys(email, _address())
    old = request.form.get("current", "")
    new = request.form.get("new", "")
    try:
        with current.db.read() as db_session:
            admin_auth.check_not_locked(db_session, keys, current.now())
            admin_auth.check_login(db_session, email, old)
    except admin_auth.TooManyAttempts as exc:
        return _too_many(template, exc, errors={})
    except Unauthorized:
        _count_failure(keys, email, "password change refused (wrong current password)")
        errors = {"current": _("The current password is wrong.")}
        return admin_page(template, status=422, errors=errors, message=errors["current"])
    try:
        if new != request.form.get("repeat", ""):
            raise InvalidInput(N_("the two new passwords differ"), field="new")
        with current.db.write() as db_session:
            user = admin_auth.find_user(db_session, email)
            # Every session ends, this one too, and this browser gets a fresh one: a copy of
            # its old cookie, wherever it went, stops working as well.
            ended = admin_auth.set_password(db_session, user, new) - 1
            secret = admin_auth.open_session(db_session, user.id, current.now())
    except InvalidInput as exc:
        # The refusal is about the new password (``field`` is "password" or "new"): shown
        # beside that field as a sentence.
        message = localized(exc.message)
        message = message[:1].upper() + message[1:] + "."
        return admin_page(template, status=422, errors={"new": message}, message=message)
    session[SESSION_SECRET] = secret
    log.warning("admin %s changed their password from %s; %d other sessions ended", email,
                _address(), ended)  # fmt: skip
    flash(_("Password changed. Your other sessions have ended."))
    return redirect(url_for("admin_pages.dashboard"))


# -- dashboard ----------------------------------------------------------------------------------


@bp.get("")
def dashboard() -> tuple[str, int]:
    """The space at a glance: profile, resources, recent and upcoming events, feed head."""
    current = node()
    since = datetime.fromtimestamp(current.now_ms() / 1000, UTC) - timedelta(days=RECENT_DAYS)
    with current.db.read() as db_session:
        profile = space.get_profile(db_session, current.node_id)
        resource_bodies = [r.body for r in resources.list_resources(db_session, current.node_id)]
        event_rows = published.events_between(db_session, current.node_id, since, limit=500)
        event_items = [
            {"id": e.id, "body": e.body, "cancelled": e.cancelled, "seq": e.seq} for e in event_rows
        ]
        feed_head = head(db_session, current.node_id)
        requests = cohosts.invitations(db_session, current, state=cohosts.PENDING)
    return admin_page(
        "admin/dashboard.html",
        cohost_requests=len(requests),
        profile=profile,
        resources=resource_bodies,
        events=event_items,
        node_id=current.node_id,
        fingerprint=fingerprint(current.node_id),
        feed_head=feed_head,
    )


# -- shared form handling -------------------------------------------------------------------------


def submit_form(
    template: str,
    convert: Callable[[Any], dict[str, Any]],
    apply: Callable[[Any, dict[str, Any]], Any],
    done: str,
    schema: type[Schema] | None = None,
    then: str = "admin_pages.dashboard",
    **context: Any,
) -> PageResult:
    """Turn the posted form into service input and apply it in one unit of work, then flash
    ``done`` and go to the endpoint ``then``; on refusal render ``template`` again with what was
    typed and the messages next to their fields."""
    try:
        data = convert(request.form)
        with node().db.write() as db_session:
            apply(db_session, data)
    except forms.FormErrors as exc:
        errors = dict(exc.errors)
        if schema is not None:
            # Also check the other fields with the service's schema (nothing is written), so
            # every mistake shows at once rather than one per attempt.
            try:
                load(schema(), drop_none(exc.data), partial=True)
            except InvalidInput as more:
                for name, message in forms.service_errors(more.extra.get("errors")).items():
                    errors.setdefault(name, message)
        return _form_again(template, errors, _("Check the fields marked below."), **context)
    except InvalidInput as exc:
        errors = forms.service_errors(exc.extra.get("errors"))
        return _form_again(template, errors, exc.detail, **context)
    except NodeError as exc:
        if exc.status == 404:
            raise
        return _form_again(template, {}, exc.detail, status=exc.status, **context)
    flash(done)
    return redirect(url_for(then))


def _form_again(
    template: str, errors: dict[str, str], message: str, status: int = 422, **context: Any
) -> tuple[str, int]:
    return admin_page(
        template, status=status, form=request.form, errors=errors, message=message, **context
    )


COHOST_CHOICES = 30  # names listed under the co-host field; any known space may be typed


def _cohost_choices() -> list[str]:
    """Names of known spaces to suggest as co-hosts (peers first, then by name)."""
    current = node()
    with current.db.read() as db_session:
        spaces = known_spaces.known_spaces(db_session, current)
    ranked = sorted(spaces, key=lambda s: (s.peer_state != "active", s.name.casefold()))
    return [s.name for s in ranked if s.name][:COHOST_CHOICES]


def _present(data: dict[str, Any]) -> dict[str, Any]:
    """For a new record an empty optional field is just absent (null means "clear" in a change)."""
    return {k: v for k, v in data.items() if v is not None}


def _timezones() -> list[str]:
    # Only the zones the protocol admits (protocol.md §Entry types, *zone*): the system's own
    # database also holds names such as "localtime" that other nodes refuse.
    return sorted(ZONES)


# -- profile ------------------------------------------------------------------------------------


@bp.route("/profile", methods=["GET", "POST"])
def profile() -> PageResult:
    current = node()
    context: dict[str, Any] = {"timezones": _timezones(), "hours_help": formats.HOURS_HELP}
    if request.method == "POST":
        return submit_form(
            "admin/profile.html",
            forms.profile_changes,
            lambda s, data: space.update_profile(s, current, data),
            _("Profile saved and published."),
            ProfileSchema,
            **context,
        )
    with current.db.read() as db_session:
        form = forms.profile_form(space.get_profile(db_session, current.node_id))
    return admin_page("admin/profile.html", form=form, errors={}, **context)


# -- resources ----------------------------------------------------------------------------------


def _resource_context(**extra: Any) -> dict[str, Any]:
    kinds = [(k, formatting.kind_label(k)) for k in formats.RESOURCE_KINDS]
    return {"kinds": kinds, **extra}


@bp.route("/resources/new", methods=["GET", "POST"])
def resource_new() -> PageResult:
    current = node()
    context = _resource_context(resource_id=None)
    if request.method == "POST":
        return submit_form(
            "admin/resource_form.html",
            forms.resource_data,
            lambda s, data: resources.add_resource(s, current, _present(data)),
            _("Resource added and published."),
            ResourceSchema,
            **context,
        )
    return admin_page("admin/resource_form.html", form={"capacity": "1"}, errors={}, **context)


@bp.route("/resources/<resource_id>/edit", methods=["GET", "POST"])
def resource_edit(resource_id: str) -> PageResult:
    current = node()
    with current.db.read() as db_session:
        body = resources.get_resource(db_session, current.node_id, resource_id).body
    context = _resource_context(resource_id=resource_id, name=body["name"])
    if request.method == "POST":
        return submit_form(
            "admin/resource_form.html",
            forms.resource_data,
            lambda s, data: resources.update_resource(s, current, resource_id, data),
            _("Resource saved and published."),
            ResourceSchema,
            **context,
        )
    return admin_page(
        "admin/resource_form.html", form=forms.resource_form(body), errors={}, **context
    )


@bp.route("/resources/<resource_id>/remove", methods=["GET", "POST"])
def resource_remove(resource_id: str) -> PageResult:
    current = node()
    with current.db.read() as db_session:
        body = resources.get_resource(db_session, current.node_id, resource_id).body
    if request.method == "POST":
        with current.db.write() as db_session:
            resources.remove_resource(db_session, current, resource_id)
        flash(_("Removed %(body_name)s.", body_name=body["name"]))
        return redirect(url_for("admin_pages.dashboard"))
    return admin_page("admin/resource_remove.html", resource=body)


# -- events -------------------------------------------------------------------------------------


@bp.route("/events/new", methods=["GET", "POST"])
def event_new() -> PageResult:
    current = node()
    context: dict[str, Any] = {
        "timezones": _timezones(),
        "event_id": None,
        "spaces": _cohost_choices(),
    }
    if request.method == "POST":
        return submit_form(
            "admin/event_form.html",
            forms.event_data,
            lambda s, data: events.add_event(
                s, current, _present(known_spaces.with_cohost_ids(s, current, data))
            ),
            _("Event added and published."),
            EventSchema,
            **context,
        )
    with current.db.read() as db_session:
        timezone = space.get_profile(db_session, current.node_id)["timezone"]
    return admin_page("admin/event_form.html", form={"timezone": timezone}, errors={}, **context)


@bp.route("/events/<event_id>/edit", methods=["GET", "POST"])
def event_edit(event_id: str) -> PageResult:
    current = node()
    with current.db.read() as db_session:
        row = events.get_event(db_session, current.node_id, event_id)
        body, cancelled = row.body, row.cancelled
    context: dict[str, Any] = {
        "timezones": _timezones(),
        "spaces": _cohost_choices(),
        "event_id": event_id,
        "title": body["title"],
        "cancelled": cancelled,
    }
    if request.method == "POST":
        return submit_form(
            "admin/event_form.html",
            forms.event_data,
            lambda s, data: events.update_event(
                s, current, event_id, known_spaces.with_cohost_ids(s, current, data)
            ),
            _("Event saved and published."),
            EventSchema,
            **context,
        )
    form = forms.event_form(body)
    with current.db.read() as db_session:
        form["cohosts"] = "\n".join(
            known_spaces.cohost_names(db_session, current, body.get("cohosts") or [])
        )
    return admin_page("admin/event_form.html", form=form, errors={}, **context)


@bp.route("/events/<event_id>/cancel", methods=["GET", "POST"])
def event_cancel(event_id: str) -> PageResult:
    current = node()
    with current.db.read() as db_session:
        row = events.get_event(db_session, current.node_id, event_id)
        body, cancelled = row.body, row.cancelled
    context: dict[str, Any] = {"event": body, "cancelled": cancelled}
    if request.method == "POST":
        reason = forms.newlines((request.form.get("reason") or "").strip())
        return submit_form(
            "admin/event_cancel.html",
            lambda form: {"reason": reason} if reason else {},
            lambda s, data: events.cancel_event(s, current, event_id, data),
            _("Cancelled %(title)s.", title=body["title"]),
            **context,
        )
    return admin_page("admin/event_cancel.html", form={}, errors={}, **context)
