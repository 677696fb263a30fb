"""Which known space a name, URL or id means, and where to reach it.

A twinning partner or an event's co-host is named on the CLI, in forms and in the API by its
node id, by its base URL or by its space name. It must be a node this one knows: a direct peer,
or a space reached through gossip (its profile, or its address announced in a peer's
``peer.announce``). A name or URL that fits more than one known node is refused rather than
guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from node import published
from node.errors import Conflict, InvalidInput, NodeError, NotFound
from node.messages import N_
from node.models import Peer
from node.runtime import Node


@dataclass(frozen=True)
class KnownSpace:
    """A node this one knows: one it could twin or co-host with."""

    node_id: str
    name: str  # the published space name, or the peer's own name, or "" when neither is known
    url: str | None  # where to reach it: the peer URL, else its announced address
    peer_state: str | None  # our peering with it, or None when it is reached only by gossip


def _url_key(url: str) -> str:
    """A URL reduced to what identifies a node's base: scheme and host lowercased, no trailing
    slash, no query or fragment."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def known_spaces(session: Session, node: Node) -> list[KnownSpace]:
    """Every node other than this one that we peer with or hold a profile or address of, by
    name then id. Blocked, quarantined and muted origins are left out."""
    hidden = published.hidden_origins(session)
    peers = {p.id: p for p in session.scalars(select(Peer)) if p.state != "blocked"}
    profiles = {space.origin: space for space, _origin in published.visible_spaces(session)}
    ids = (set(peers) | set(profiles)) - hidden - {node.node_id}
    found = []
    for node_id in ids:
        peer = peers.get(node_id)
        profile = profiles.get(node_id)
        name = profile.name if profile is not None else (peer.name if peer is not None else "")
        url = peer.url if peer is not None else published.address(session, node_id)
        found.append(KnownSpace(node_id, name, url, peer.state if peer is not None else None))
    return sorted(found, key=lambda s: (s.name.casefold(), s.node_id))


def resolve_space(session: Session, node: Node, text: str, role: str = "partner") -> KnownSpace:
    """The one known space ``text`` names (node id, base URL or space name, case-insensitive),
    as a ``role`` ("partner", "co-host") of this space.

    Raises ``InvalidInput`` (``self-<role>``) for this node itself, ``NotFound``
    (``unknown-<role>``) when nothing matches and ``Conflict`` (``ambiguous-<role>``) when
    several spaces do.
    """
    word = role.replace("-", "")
    wanted = text.strip()
    if not wanted:
        raise InvalidInput(
            N_("name a %(role)s space: its node id, URL or name", role=role), reason=f"bad-{word}"
        )
    if wanted == node.node_id or ("://" in wanted and _url_key(wanted) == _url_key(node.url)):
        raise InvalidInput(
            N_("this space cannot be its own %(role)s", role=role), reason=f"self-{word}"
        )
    spaces = known_spaces(session, node)
    if wanted.startswith("did:key:"):
        matches = [s for s in spaces if s.node_id == wanted]
    elif "://" in wanted:
        key = _url_key(wanted)
        matches = [s for s in spaces if s.url is not None and _url_key(s.url) == key]
    else:
        folded = wanted.casefold()
        matches = [s for s in spaces if s.name.casefold() == folded]
    if not matches:
        raise NotFound(
            N_(
                "no known space is %(wanted)r; `spazi peer list` and `spazi network spaces` list "
                "the spaces this node knows",
                wanted=wanted,
            ),
            reason=f"unknown-{word}",
        )
    if len(matches) > 1:
        ids = ", ".join(s.node_id for s in matches)
        raise Conflict(
            N_(
                "%(wanted)r names %(count)s known spaces (%(ids)s); give the node id instead",
                wanted=wanted,
                count=len(matches),
                ids=ids,
            ),
            reason=f"ambiguous-{word}",
        )
    return matches[0]


def resolve_partner(session: Session, node: Node, text: str) -> KnownSpace:
    """The twinning partner ``text`` names (:func:`resolve_space`)."""
    return resolve_space(session, node, text, "partner")


def cohost_ids(session: Session, node: Node, names: list[str]) -> list[str]:
    """Co-hosts as node ids: ids stay as given (a space not known yet may co-host), names and
    URLs become the id of the one known space they name. A name that names none or several is
    an ``InvalidInput`` of the ``cohosts`` field (forms show it there)."""
    ids = []
    for name in names:
        if name.startswith("did:"):  # an id: the entry's schema checks it is a node id
            ids.append(name)
            continue
        try:
            ids.append(resolve_space(session, node, name, "co-host").node_id)
        except NodeError as exc:
            raise InvalidInput(
                N_("cohosts: %(detail)s", detail=exc.detail),
                reason=exc.reason,
                errors={"cohosts": [exc.detail]},
            ) from exc
    return ids


def with_cohost_ids(session: Session, node: Node, data: dict[str, Any]) -> dict[str, Any]:
    """Event input whose ``cohosts`` (names, URLs or ids, as people type them on the form or
    the CLI) are node ids, as the event schema wants them."""
    if not data.get("cohosts"):
        return data
    return {**data, "cohosts": cohost_ids(session, node, data["cohosts"])}


def cohost_names(session: Session, node: Node, ids: list[str]) -> list[str]:
    """Co-hosts as an admin would type them: the known name where it names only that space,
    else the id."""
    spaces = known_spaces(session, node)
    counts: dict[str, int] = {}
    for space in spaces:
        counts[space.name.casefold()] = counts.get(space.name.casefold(), 0) + 1
    names = {s.node_id: s.name for s in spaces if s.name and counts[s.name.casefold()] == 1}
    return [names.get(node_id, node_id) for node_id in ids]
