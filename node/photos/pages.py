"""Photos on pages: the admin's page to upload and remove the space's and events' photos, and
the template helpers the public pages call (the space page, event pages, the network's list of
spaces and their OpenGraph image).

Pages show only files whose verified bytes this node holds (``node.photos.refs.shown``): a
peer's photo appears once fetched and checked, never before, and never one that did not match.
"""

from __future__ import annotations

from typing import Any

from babel.numbers import format_decimal
from flask import Blueprint, Flask, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response as BaseResponse

from node.errors import NodeError
from node.http.context import node
from node.photos import service
from node.photos.refs import PROFILE, ShownPhoto, shown
from node.web.admin_pages import PageResult, admin_page, no_store, require_login
from node.web.error_pages import error_page
from node.web.i18n import current_language
from node.web.rendering import absolute_url

bp = Blueprint("photos_admin", __name__, url_prefix="/admin/photos")

# The form's other fields and the multipart framing, beyond the image itself.
_FORM_MARGIN = 64 * 1024
_UPLOADS = ("photos_admin.add", "photos_admin.add_event")


@bp.before_request
def _allow_upload() -> None:
    """Let an upload through the request size limit (the node's ``max_request_bytes`` is for
    JSON and forms), before ``require_login`` reads the form for its CSRF check."""
    if request.method == "POST" and request.endpoint in _UPLOADS:
        request.max_content_length = int(node().settings["photo_upload_bytes"]) + _FORM_MARGIN


bp.before_request(require_login)
bp.after_request(no_store)


def _page(item: str, status: int = 200, **context: Any) -> tuple[str, int]:
    current = node()
    with current.db.read() as session:
        photos = service.listing(session, current, item)
        title = None
        if item != PROFILE:
            from node.services.events import get_event

            title = get_event(session, current.node_id, item).title
        pictures = shown(session, [(current.node_id, item)]).get((current.node_id, item), [])
    by_hash = {p.files[-1].hash: p for p in pictures}
    for photo in photos:
        photo["shown"] = by_hash.get(photo["hash"])
    context.setdefault("errors", {})
    context.setdefault("form", {})
    return admin_page(
        "photos/admin.html",
        status=status,
        item=item,
        event_title=title,
        photos=photos,
        max_mb=int(current.settings["photo_upload_bytes"]) / 1e6,
        **context,
    )


def _target(item: str) -> str:
    if item == PROFILE:
        return url_for("photos_admin.page")
    return url_for("photos_admin.event_page", event_id=item)


def _add(item: str) -> PageResult:
    current = node()
    upload = request.files.get("photo")
    alt = request.form.get("alt", "")
    form = {"alt": alt}
    if upload is None or not upload.filename:
        return _page(item, 422, form=form, errors={"photo": _("Choose an image file to upload.")})
    data = upload.read()
    try:
        made = service.make(current, data, alt)
        with current.db.write() as session:
            number = service.add(session, current, item, made)
    except NodeError as exc:
        field = "alt" if exc.detail.startswith("alt:") else "photo"
        message = exc.detail.removeprefix("alt: ")
        return _page(item, exc.status, form=form, errors={field: message}, message=exc.detail)
    if item == PROFILE:
        flash(_("Photo %(number)s added to the space and published.", number=number))
    else:
        flash(_("Photo %(number)s added to the event and published.", number=number))
    return redirect(_target(item))


def _remove(item: str, key: str) -> PageResult:
    current = node()
    try:
        with current.db.write() as session:
            service.remove(session, current, item, key)
    except NodeError as exc:
        if exc.status == 404 and exc.reason != "unknown-photo":
            raise
        return _page(item, exc.status, message=exc.detail)
    flash(_("Photo removed and published; other spaces stop showing it once they sync."))
    return redirect(_target(item))


@bp.get("")
def page() -> tuple[str, int]:
    """The space's photos and the upload form."""
    return _page(PROFILE)


@bp.post("")
def add() -> PageResult:
    """Upload a photo of the space: scaled, re-encoded and published with the profile."""
    return _add(PROFILE)


@bp.post("/<key>/remove")
def remove(key: str) -> PageResult:
    """Remove a photo of the space (a new profile without it)."""
    return _remove(PROFILE, key)


@bp.get("/events/<event_id>")
def event_page(event_id: str) -> tuple[str, int]:
    """An event's photos and the upload form."""
    return _page(event_id)


@bp.post("/events/<event_id>")
def add_event(event_id: str) -> PageResult:
    """Upload a photo of an event."""
    return _add(event_id)


@bp.post("/events/<event_id>/<key>/remove")
def remove_event(event_id: str, key: str) -> PageResult:
    """Remove a photo of an event."""
    return _remove(event_id, key)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_exc: RequestEntityTooLarge) -> BaseResponse:
    """A body over the upload limit, refused before the form (and its CSRF token) was read: an
    error page saying the limit, with a way back to the form."""
    limit = int(node().settings["photo_upload_bytes"])
    return error_page(
        413,
        _("Photo too large"),
        _(
            "The image is larger than the %(size)s MB allowed: export it smaller (e.g. 2000 "
            "pixels wide) and upload it again.",
            size=format_decimal(round(limit / 1e6, 1), locale=current_language()),
        ),
    )


# -- what public pages call -------------------------------------------------------------------


def _shown(origin: str, item: str) -> list[ShownPhoto]:
    cache: dict[tuple[str, str], list[ShownPhoto]] = g.setdefault("_photos_shown", {})
    if (origin, item) not in cache:
        with node().db.read() as session:
            cache[(origin, item)] = shown(session, [(origin, item)]).get((origin, item), [])
    return cache[(origin, item)]


def space_photos() -> list[ShownPhoto]:
    """This space's photos, as the space page shows them."""
    return _shown(node().node_id, PROFILE)


def event_photos(event_id: str) -> list[ShownPhoto]:
    """One of this space's events' photos."""
    return _shown(node().node_id, str(event_id))


def photo_covers(origins: list[str]) -> dict[str, ShownPhoto]:
    """The first shown photo of each space in ``origins`` (one read for the whole list)."""
    with node().db.read() as session:
        found = shown(session, [(origin, PROFILE) for origin in origins])
    return {origin: photos[0] for (origin, _item), photos in found.items() if photos}


def photo_link(digest: str) -> str:
    """The absolute URL of a photo file under the node's own base URL (``og:image``)."""
    return absolute_url("photos.photo", digest=digest)


def init_app(app: Flask) -> None:
    """Register the admin page and the helpers the public templates call."""
    app.register_blueprint(bp)

    @app.context_processor
    def _helpers() -> dict[str, Any]:
        return {
            "space_photos": space_photos,
            "event_photos": event_photos,
            "photo_covers": photo_covers,
            "photo_link": photo_link,
        }
