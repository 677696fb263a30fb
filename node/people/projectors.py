"""The projectors of ``profile.put`` and ``profile.withdraw`` (protocol.md §Published state):
the profile row follows the fold, and the detached body an entry drops is erased (protocol.md
§Detached bodies), on every node that stores the entry."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from federation.entries import Entry
from node.people.erasure import erase_bodies
from node.people.models import NetworkPerson
from node.projection import Page, Projector


def _seq_of(row: object) -> int:
    return int(row["seq"] if isinstance(row, dict) else row.seq)  # type: ignore[attr-defined,index]


def profile_put(page: Page, entry: Entry) -> None:
    """``profile.put``: the row becomes this body, present; the body it replaces is erased."""
    row = page.row(NetworkPerson, (entry.origin, entry.body["id"]))
    earlier = None if row is None else _seq_of(row)
    page.put(NetworkPerson, entry, {"withdrawn": False, "seq": entry.seq, "ts": entry.ts})
    if earlier is not None:
        erase_bodies(page.session, entry.origin, [earlier])


def profile_withdraw(page: Page, entry: Entry) -> None:
    """``profile.withdraw``: a tombstone, and the profile's body erased; an id never put has
    no row and no effect."""
    row = page.row(NetworkPerson, (entry.origin, entry.body["id"]))
    if row is None:
        return
    earlier = _seq_of(row)
    page.assign(row, withdrawn=True, seq=entry.seq, ts=entry.ts)
    erase_bodies(page.session, entry.origin, [earlier])


def drop_people(session: Session, origin: str) -> None:
    """Forget an origin's profiles and erase every detached body of it (blocking)."""
    session.execute(delete(NetworkPerson).where(NetworkPerson.origin == origin))
    erase_bodies(session, origin)


PEOPLE_PROJECTORS = (
    Projector("profile.put", profile_put, drop_people, keyed_rows=NetworkPerson),
    Projector("profile.withdraw", profile_withdraw, drop_people, keyed_rows=NetworkPerson),
)
