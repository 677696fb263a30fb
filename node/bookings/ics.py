"""A booking as an iCalendar invitation (RFC 5545): the guest's "add to my calendar" file and
the attachment of the confirmation mail.

The UID stays the booking's for its life (booking number @ our node's fingerprint), and a
cancellation is the same event with ``STATUS:CANCELLED`` and a higher ``SEQUENCE``, so calendar
apps replace what they hold. Times are wall-clock times in the host's time zone with its
VTIMEZONE; a desk is booked from opening to closing time, or for the whole date when the space
publishes no hours.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from icalendar import Calendar, Event, vCalAddress, vText

from federation.keys import fingerprint
from node.bookings import hours
from node.bookings.views import BookingView
from node.clock import aware, zone
from node.web.calendar import PRODID, location_text


def booking_uid(node_id: str, booking_id: int | str) -> str:
    """The booking's UID at the host ``node_id``: the same in the confirmation, the download,
    the cancellation and the home node's mail to its member (which knows the number from the
    ``booking.notice``)."""
    return f"booking-{booking_id}@{fingerprint(node_id).lower()}.spazi"


def _at(day: date, minute: int, timezone: str) -> datetime:
    base = datetime(day.year, day.month, day.day, tzinfo=zone(timezone))
    return base + timedelta(minutes=minute)  # 24:00 is the next day's midnight


def span(view: BookingView, profile: Mapping[str, Any]) -> tuple[int, int] | None:
    """The booked minutes of the day, or None for a whole date (a desk where no hours are
    published)."""
    if view.start and view.end:
        return hours.minutes(view.start), hours.minutes(view.end)
    spec = list(profile.get("opening_hours") or [])
    found = hours.day_span(spec, view.day) if spec else None
    return found


def invitation(node_id: str, url: str, profile: Mapping[str, Any], view: BookingView) -> bytes:
    """The booking at the host ``node_id`` (whose listing is ``profile``) as a VCALENDAR with
    one VEVENT; ``url`` is the guest's booking page, or the host's page."""
    timezone = str(profile["timezone"])
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    item = Event()
    item.add("uid", booking_uid(node_id, view.id))
    item.add("dtstamp", aware(view.created))
    minutes = span(view, profile)
    if minutes is None:
        item.add("dtstart", view.day)
        item.add("dtend", view.day + timedelta(days=1))
    else:
        item.add("dtstart", _at(view.day, minutes[0], timezone))
        item.add("dtend", _at(view.day, minutes[1], timezone))
    what = f"{view.kind_label}: {view.resource_name}"
    item.add(
        "summary", vText(("Cancelled: " if view.cancelled else "") + f"{what} at {profile['name']}")
    )
    item.add("description", vText(f"Guest booking for {view.name}.\n\n{url}"))
    item.add("url", url)
    item.add("location", location_text(profile))
    contact = profile.get("contact") or {}
    organizer = vCalAddress(f"mailto:{contact['email']}" if contact.get("email") else url)
    organizer.params["cn"] = vText(str(profile["name"]))
    item.add("organizer", organizer)
    item.add("status", "CANCELLED" if view.cancelled else "CONFIRMED")
    item.add("sequence", 1 if view.cancelled else 0)
    cal.add_component(item)
    cal.add_missing_timezones()
    return cal.to_ical()
