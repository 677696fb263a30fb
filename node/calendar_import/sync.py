"""Subscribing to a calendar and bringing its events into this node's feed.

A sync fetches the calendar through the node's one outbound client (the SSRF guard, timeouts
and size cap of every outbound call), outside any transaction; then, in one write transaction,
adds the items it has not seen, publishes the changes of those it has (an ``event.put``) and
cancels what was cancelled upstream or removed from the calendar (an ``event.cancel``: an event
is never deleted from a feed). Each event write and its feed entry commit together with the
mapping from the calendar's UID to the event id, so a crash leaves either all of a sync or none
of it, and the next sync picks up from there. Events that ended before the window are left as
they are: a calendar that drops its past does not cancel the space's history.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from federation.errors import TransportError
from federation.transport.safety import check_url
from node import published
from node.calendar_import.mapping import PAST_DAYS, CalendarItem, parse_calendar
from node.calendar_import.models import CalendarSubscription, ImportedEvent
from node.clock import aware
from node.db import fits_key
from node.errors import Conflict, InvalidInput, NodeError, NotFound
from node.messages import N_, Recogniser, joined
from node.network.transport import peer_client
from node.runtime import Node
from node.services import events
from node.services.space import get_profile

log = logging.getLogger(__name__)

MAX_CALENDAR_BYTES = 5 * 1024 * 1024  # a year of a busy space's events is well under 1 MB
REMOVED = "removed from the calendar it was imported from"
CANCELLED_UPSTREAM = "cancelled in its calendar"
IMPORT_CANCELS = (REMOVED, CANCELLED_UPSTREAM)
# Only what the calendar says is compared and published again; fields an admin set on the node
# (tags, price, co-hosts) stay as they are.
IMPORTED_FIELDS = ("title", "description", "start", "end", "timezone", "url")


@dataclass
class SyncReport:
    """What one sync did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: int = 0  # items the event schema refused
    not_modified: bool = False  # the calendar's bytes were the same as last time

    def summary(self) -> str:
        """One line for the CLI and the admin page."""
        if self.not_modified:
            return N_("the calendar has not changed since the last import")
        text = N_(
            "%(added)s added, %(updated)s updated, %(cancelled)s cancelled, "
            "%(unchanged)s unchanged",
            added=len(self.added),
            updated=len(self.updated),
            cancelled=len(self.cancelled),
            unchanged=self.unchanged,
        )
        if not self.skipped:
            return text
        return joined(
            [text, N_("%(skipped)s skipped (not valid events)", skipped=self.skipped)], ", "
        )


# The protocol's reasons for refusing an address (federation.transport.safety.check_url), so that
# the catalogue translates them on the import page.
URL_TEXTS = Recogniser(
    [
        N_("a URL must be a non-empty string of at most 2048 chars"),
        N_("URL contains whitespace or control characters"),
        N_("cannot parse URL: %(error)s"),
        N_("scheme %(scheme)s is not http or https"),
        N_("URLs with credentials are not allowed"),
        N_("URL has no host"),
        N_("port %(port)s is out of range"),
        N_("%(host)s is an ambiguous spelling of an IPv4 address"),
    ]
)


def subscribe(session: Session, node: Node, url: str, follow: bool) -> CalendarSubscription:
    """Record a calendar to import from (``follow``: keep it current on a schedule)."""
    text = url.strip()
    if text.startswith("webcal://"):  # what calendar apps hand out for the same address
        text = "https://" + text[len("webcal://") :]
    try:
        check_url(text)
    except TransportError as exc:
        problem = URL_TEXTS(exc.detail)
        raise InvalidInput(
            problem, reason="bad-url", field="url", errors={"url": [problem]}
        ) from exc
    if session.scalar(select(CalendarSubscription).where(CalendarSubscription.url == text)):
        raise Conflict(N_("this calendar is already imported"), reason="calendar-exists")
    row = CalendarSubscription(url=text, follow=follow, created=node.now())
    session.add(row)
    session.flush()
    return row


def subscriptions(session: Session) -> list[CalendarSubscription]:
    """Every imported calendar, oldest first."""
    return list(session.scalars(select(CalendarSubscription).order_by(CalendarSubscription.id)))


def get_subscription(session: Session, subscription_id: int) -> CalendarSubscription:
    row = session.get(CalendarSubscription, subscription_id) if fits_key(subscription_id) else None
    if row is None:
        raise NotFound(
            N_("no imported calendar %(subscription_id)s", subscription_id=subscription_id),
            reason="unknown-calendar",
        )
    return row


def remove(session: Session, subscription_id: int) -> None:
    """Stop importing a calendar; the events it brought stay as they are."""
    row = get_subscription(session, subscription_id)
    session.execute(delete(ImportedEvent).where(ImportedEvent.subscription_id == row.id))
    session.delete(row)


def fetch(node: Node, url: str) -> bytes:
    """The calendar's bytes, under the outbound rules; ``InvalidInput`` saying why not."""
    try:
        with peer_client(node) as client:
            data, _final = client.get_bytes(
                url, max_bytes=MAX_CALENDAR_BYTES, accept="text/calendar, */*;q=0.5"
            )
    except TransportError as exc:
        raise InvalidInput(
            N_(
                "the calendar could not be fetched (%(reason)s): %(detail)s",
                reason=exc.reason,
                detail=_fetch_problem(exc, url),
            ),
            reason="calendar-unreachable",
        ) from exc
    return data


def _fetch_problem(exc: TransportError, url: str) -> str:
    """What went wrong, in a few words: a failed connection's detail is the HTTP library's
    whole exception text (pools, retries, object reprs), so only the system's reason is kept."""
    if exc.reason == "connection-failed":
        cause: BaseException | None = exc
        while cause is not None:
            if isinstance(cause, OSError) and cause.strerror:
                return f"{url}: {cause.strerror}"
            cause = cause.__cause__ or cause.__context__ or getattr(cause, "reason", None)
            if not isinstance(cause, BaseException):
                cause = None
        return f"{url}: no connection"
    if exc.reason == "timeout":
        return f"{url}: no answer in time"
    return exc.detail


def sync(node: Node, subscription_id: int, force: bool = False) -> SyncReport:
    """Fetch one calendar and apply it; the outcome (or the error) is recorded on it."""
    with node.db.read() as session:
        row = get_subscription(session, subscription_id)
        url, last_hash = row.url, row.content_hash
        timezone = get_profile(session, node.node_id)["timezone"]
    try:
        data = fetch(node, url)
        # The same bytes on the same day change nothing; on a new day the window has moved
        # (recurring events reach further), so the calendar is read again.
        digest = hashlib.sha256(data + node.now().date().isoformat().encode()).hexdigest()
        if digest == last_hash and not force:
            _record(node, subscription_id, None, digest)
            return SyncReport(not_modified=True)
        # Parsed before the write transaction: a large calendar never holds the database.
        parsed = parse_calendar(data, timezone, node.now())
        with node.db.write() as session:
            report = apply_items(session, node, subscription_id, parsed.items, parsed.complete)
            sub = get_subscription(session, subscription_id)
            sub.last_checked, sub.last_error, sub.content_hash = node.now(), None, digest
        return report
    except NodeError as exc:
        _record(node, subscription_id, exc.detail, None)
        raise


def _record(node: Node, subscription_id: int, error: str | None, digest: str | None) -> None:
    with node.db.write() as session:
        row = session.get(CalendarSubscription, subscription_id)
        if row is None:
            return
        row.last_checked, row.last_error = node.now(), (error[:500] if error else None)
        if digest is not None:
            row.content_hash = digest


def apply_items(
    session: Session,
    node: Node,
    subscription_id: int,
    items: list[CalendarItem],
    complete: bool = True,
) -> SyncReport:
    """Bring the events of ``items`` into the feed, in the caller's transaction; an item the
    event schema refuses is skipped (and counted), never the whole calendar. With ``complete``
    False (the item cap was reached) nothing is taken as removed upstream."""
    report = SyncReport()
    known = {
        m.key: m
        for m in session.scalars(
            select(ImportedEvent).where(ImportedEvent.subscription_id == subscription_id)
        )
    }
    for item in items:
        mapping = known.pop(item.key, None)
        if mapping is None:
            if item.cancelled:
                continue  # never seen, already cancelled: nothing to publish
            body = events.add_event(session, node, item.body)
            session.add(
                ImportedEvent(subscription_id=subscription_id, key=item.key, event_id=body["id"])
            )
            report.added.append(body["id"])
            continue
        _apply_known(session, node, mapping, item, report)
    # What the calendar no longer lists: cancelled if it has not happened yet.
    horizon = node.now() - timedelta(days=PAST_DAYS)
    for mapping in known.values():
        row = published.event(session, node.node_id, mapping.event_id)
        if row is None:
            session.delete(mapping)
            continue
        if not row.cancelled and aware(row.end_utc) > horizon:
            events.cancel_event(session, node, mapping.event_id, {"reason": REMOVED})
            report.cancelled.append(mapping.event_id)
        session.delete(mapping)
    return report


def _apply_known(
    session: Session, node: Node, mapping: ImportedEvent, item: CalendarItem, report: SyncReport
) -> None:
    event_id = mapping.event_id
    row = published.event(session, node.node_id, event_id)
    if row is None:  # the event is not here any more (a restore from an older backup)
        if not item.cancelled:
            mapping.event_id = events.add_event(session, node, item.body)["id"]
            report.added.append(mapping.event_id)
        return
    if item.cancelled:
        if row.cancelled:
            report.unchanged += 1
        else:
            events.cancel_event(session, node, event_id, {"reason": CANCELLED_UPSTREAM})
            report.cancelled.append(event_id)
        return
    if row.cancelled and row.cancel_reason not in IMPORT_CANCELS:
        report.unchanged += 1  # cancelled by an admin here: the calendar does not undo that
        return
    current = {name: row.body.get(name) for name in IMPORTED_FIELDS}
    wanted = {name: item.body.get(name) for name in IMPORTED_FIELDS}
    if current == wanted and not row.cancelled:
        report.unchanged += 1
        return
    changes: dict[str, Any] = {name: value for name, value in wanted.items() if value is not None}
    # A field the calendar dropped (a description removed) is dropped here too.
    changes.update(
        {name: None for name, value in wanted.items() if value is None and current[name]}
    )
    events.update_event(session, node, event_id, changes)
    report.updated.append(event_id)


def due(session: Session, now: datetime, every: timedelta) -> list[int]:
    """Followed calendars not checked within ``every``."""
    rows = session.scalars(
        select(CalendarSubscription).where(CalendarSubscription.follow.is_(True))
    )
    return [
        row.id for row in rows if row.last_checked is None or aware(row.last_checked) <= now - every
    ]
