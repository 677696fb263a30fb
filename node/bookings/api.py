"""The bookings part of the JSON API, in the OpenAPI document like the rest of ``/api/v1``.

A guest books with their pass as the credential (no token) and gets the booking's secret link;
the link's secret then reads and cancels it. The admin's bearer token lists and cancels any
booking. The routes call the use cases of node/bookings/service.py, as the pages and the CLI do.
"""

from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, Flask, Response, jsonify, request
from marshmallow import fields, validate
from sqlalchemy.orm import Session

from node.bookings import confirmation, service
from node.bookings.models import Booking
from node.bookings.service import WINDOW_MAX
from node.clock import local_today
from node.errors import InvalidInput, NotFound
from node.http.api import admin_token
from node.http.apidoc import operation
from node.http.context import node
from node.http.problems import json_body
from node.schemas import Line, StrictSchema
from node.services.validation import load
from node.twinning import desk
from node.web.rendering import absolute_url

bp = Blueprint("bookings_api", __name__, url_prefix="/api/v1")



class BookSchema(StrictSchema):
    pass_ = fields.String(
        required=True, data_key="pass", validate=validate.Length(1, desk.MAX_TOKEN_BYTES)
    )
    resource = Line(required=True, validate=validate.Length(1, 64))
    day = fields.Date(required=True)
    start = Line(load_default=None, validate=validate.Length(5, 5))
    end = Line(load_default=None, validate=validate.Length(5, 5))
    email = fields.Email(load_default=None)


def _by_link(session: Session, secret: str) -> Booking:
    """The booking of the guest's link, or 404."""
    row = service.for_secret(session, secret)
    if row is None:
        raise NotFound("no booking has this link", reason="unknown-booking")
    return row


@operation(
    bp,
    "/bookings",
    "POST",
    "Book a desk or a room with a guest pass (the pass is the credential)",
    body=BookSchema,
    responses={"201": "Booked"},
    returns="BookingMade",
)
def make_booking() -> tuple[Response, int]:
    current = node()
    data = load(BookSchema(), json_body())
    wanted = service.parse_request(data["resource"], data["day"], data["start"], data["end"])
    with current.db.write() as session:
        row, secret = service.book(session, current, data["pass_"], wanted)
        view = service.views(session, current, [row])[0]
        link = absolute_url("booking_pages.booking", secret=secret)
        if data["email"]:
            confirmation.send(session, current, view, link, data["email"])
    response = jsonify({"booking": view.as_dict(), "link": link})
    response.headers["Location"] = absolute_url("bookings_api.guest_booking", secret=secret)
    response.headers["Cache-Control"] = "no-store"
    return response, 201


@operation(
    bp,
    "/bookings/by-link/<secret>",
    "GET",
    "A booking, by the secret of the guest's link",
    returns="BookingView",
)
def guest_booking(secret: str) -> Response:
    current = node()
    with current.db.read() as session:
        view = service.views(session, current, [_by_link(session, secret)])[0]
    response = jsonify(view.as_dict())
    response.headers["Cache-Control"] = "no-store"
    return response


@operation(
    bp,
    "/bookings/by-link/<secret>/cancel",
    "POST",
    "Cancel a booking before its day, by the secret of the guest's link",
    returns="BookingView",
)
def guest_cancel(secret: str) -> Response:
    current = node()
    with current.db.write() as session:
        row = _by_link(session, secret)
        service.cancel(session, current, row)
        view = service.views(session, current, [row])[0]
    return jsonify(view.as_dict())


@operation(
    bp,
    "/bookings",
    "GET",
    "Guest bookings from ?day= (default today) for ?days= days (1-31)",
    admin=True,
    returns="BookingList",
)
def list_bookings() -> Response:
    current = node()
    days_text = request.args.get("days", "1")
    if not re.fullmatch(r"[0-9]{1,2}", days_text) or not 1 <= int(days_text) <= WINDOW_MAX:
        raise InvalidInput(
            f"days: a number of days from 1 to {WINDOW_MAX}", errors={"days": ["Out of range."]}
        )
    with current.db.read() as session:
        admin_token(session)
        text = request.args.get("day")
        try:
            first = (
                date.fromisoformat(text)
                if text
                else local_today(desk.host_timezone(session, current), current.now_ms())
            )
        except ValueError as exc:
            raise InvalidInput(
                "day: a date as YYYY-MM-DD", errors={"day": ["Not a valid date."]}
            ) from exc
        views = service.between(session, current, first, int(days_text))
    return jsonify({"bookings": [v.as_dict() for v in views]})


@operation(
    bp,
    "/bookings/<int:booking_id>/cancel",
    "POST",
    "Cancel a guest booking as the host (before its day the guest day is given back)",
    admin=True,
    returns="BookingView",
)
def admin_cancel(booking_id: int) -> Response:
    current = node()
    with current.db.write() as session:
        admin_token(session)
        row = service.get(session, booking_id)
        service.cancel(session, current, row, by="host")
        view = service.views(session, current, [row])[0]
    return jsonify(view.as_dict())


def init_app(app: Flask) -> None:
    """Register the bookings API (a part of the bookings feature record)."""
    app.register_blueprint(bp)
