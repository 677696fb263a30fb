"""Photos on pages: the admin's pages to upload and remove the photos of each kind of record
(node.photos.kinds: the space, an event, a desk or room), and the template helpers the public
pages call (the space page and its desks and rooms, event pages, the network's list of spaces
and their OpenGraph image).

Pages show only files whose verified bytes this node holds (``node.photos.refs.shown``): a
peer's photo appears once fetched and checked, never before, and never one that did not match.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from babel.numbers import format_decimal
from flask import Blueprint, Flask, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response as BaseResponse

from node.errors import NodeError
from node.http.context import node
from node.photos import service
from node.photos.kinds import EVENT, KINDS, RESOURCE, SPACE, RecordKind
from node.photos.refs import PROFILE, ShownPhoto, shown
from node.web.admin_pages import (
    PageResult,
    admin_page,
    allow_larger_body,
    no_store,
    require_login,
)
from node.web.error_pages import error_page
from node.web.i18n import current_language
from node.web.rendering import absolute_url

bp = Blueprint("photos_admin", __name__, url_prefix="/admin/photos")

# The form's other fields and the multipart framing, beyond the image itself.
_FORM_MARGIN = 64 * 1024


def _endpoint(kind: RecordKind, action: str) -> str:
    """The name of a kind's admin view: ``page``, ``add``, ``remove`` for the space;
    ``event_page``, ``add_event``… for the others."""
    if kind is SPACE:
        return action
    return f"{kind.name}_page" if action == "page" else f"{action}_{kind.name}"


def _url(kind: RecordKind, action: str, record_id: str, **values: Any) -> str:
    if kind is not SPACE:
        values["record_id"] = record_id
    return url_for(f"photos_admin.{_endpoint(kind, action)}", **values)


_UPLOADS = {f"photos_admin.{_endpoint(kind, 'add')}" for kind in KINDS}


def _added(kind: RecordKind, number: int) -> str:
    """The flash after an upload, naming what the photo was added to."""
    if kind is SPACE:
        return _("Photo %(number)s added to the space and published.", number=number)
    if kind is EVENT:
        return _("Photo %(number)s added to the event and published.", number=number)
    return _("Photo %(number)s added to the desk or room and published.", number=number)


@bp.before_request
def _allow_upload() -> None:
    """Let an admin's upload through the request size limit (the node's ``max_request_bytes``
    is for JSON and forms), before ``require_login`` reads the form for its CSRF check."""
    if request.method == "POST" and request.endpoint in _UPLOADS:
        allow_larger_body(int(node().settings["photo_upload_bytes"]) + _FORM_MARGIN)


bp.before_request(require_login)
bp.after_request(no_store)


def _page(kind: RecordKind, record_id: str, status: int = 200, **context: Any) -> tuple[str, int]:
    current = node()
    item = kind.item(record_id)
    with current.db.read() as session:
        photos = service.listing(session, current, item)
        record = kind.read(session, current.node_id, record_id)
        pictures = shown(session, [(current.node_id, item)]).get((current.node_id, item), [])
    by_hash = {p.files[-1].hash: p for p in pictures}
    for photo in photos:
        photo["shown"] = by_hash.get(photo["hash"])
        photo["remove_url"] = _url(kind, "remove", record_id, key=photo["hash"])
    context.setdefault("errors", {})
    context.setdefault("form", {})
    return admin_page(
        "photos/admin.html",
        status=status,
        kind=kind.name,
        title=record.title if record is not None else "",
        record_id=record_id,
        add_url=_url(kind, "add", record_id),
        photos=photos,
        max_mb=int(current.settings["photo_upload_bytes"]) / 1e6,
        **context,
    )


def _add(kind: RecordKind, record_id: str = "") -> PageResult:
    current = node()
    upload = request.files.get("photo")
    alt = request.form.get("alt", "")
    form = {"alt": alt}
    if upload is None or not upload.filename:
        errors = {"photo": _("Choose an image file to upload.")}
        return _page(kind, record_id, 422, form=form, errors=errors)
    data = upload.read()
    try:
        made = service.make(current, data, alt)
        with current.db.write() as session:
            number = service.add(session, current, kind.item(record_id), made)
    except NodeError as exc:
        field = "alt" if exc.field == "alt" else "photo"
        errors = {field: exc.message}
        return _page(kind, record_id, exc.status, form=form, errors=errors, message=exc.detail)
    flash(_added(kind, number))
    return redirect(_url(kind, "page", record_id))


def _remove(kind: RecordKind, record_id: str = "", key: str = "") -> PageResult:
    current = node()
    try:
        with current.db.write() as session:
            service.remove(session, current, kind.item(record_id), key)
    except NodeError as exc:
        if exc.status == 404 and exc.reason != "unknown-photo":
            raise
        return _page(kind, record_id, exc.status, message=exc.detail)
    flash(_("Photo removed and published; other spaces stop showing it once they sync."))
    return redirect(_url(kind, "page", record_id))


def _show(kind: RecordKind, record_id: str = "") -> tuple[str, int]:
    current = node()
    with current.db.read() as session:
        if kind.read(session, current.node_id, record_id) is None and kind is not SPACE:
            raise kind.missing(record_id)
    return _page(kind, record_id)


def _routes() -> None:
    """Each kind's three views (node.photos.kinds): its page with the upload form, the upload,
    and a photo's removal, under /admin/photos (the space) or /admin/photos/<path>/<id>."""
    for kind in KINDS:
        base = f"/{kind.admin_path}/<record_id>" if kind.admin_path else ""
        for rule, action, view, methods in (
            (base or "", "page", _show, ["GET"]),
            (base or "", "add", _add, ["POST"]),
            (f"{base}/<key>/remove", "remove", _remove, ["POST"]),
        ):
            bp.add_url_rule(
                rule,
                endpoint=_endpoint(kind, action),
                view_func=partial(view, kind),
                methods=methods,
            )


_routes()


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
    return _shown(node().node_id, EVENT.item(str(event_id)))


def resource_photos(resource_ids: list[str]) -> dict[str, list[ShownPhoto]]:
    """The photos of this space's desks and rooms ``resource_ids``, by id (one read)."""
    origin = node().node_id
    keys = {(origin, RESOURCE.item(str(rid))): str(rid) for rid in resource_ids}
    with node().db.read() as session:
        found = shown(session, keys)
    return {keys[key]: photos for key, photos in found.items()}


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
            "resource_photos": resource_photos,
            "photo_covers": photo_covers,
            "photo_link": photo_link,
        }
