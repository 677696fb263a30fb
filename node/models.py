"""SQLAlchemy models of the node (SQLAlchemy 2.0 declarative idiom).

Feed entries of every origin (our own and the ones we mirror) live in one table as their canonical
bytes, so serving a page is a copy. The published state (spaces, resources, events, agreements,
revocations, addresses) is a cache of the fold of those entries (``federation.state``), written by
one projector per entry type (``node.projectors``) in the same transaction that stores them.
Members, admin users and tokens are private to this node and never reach a feed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from node.db import DID, HASH, Base
from node.features import load_models


class Origin(Base):
    """A feed this node holds: its own or a mirrored one, with its head and standing."""

    __tablename__ = "origins"

    id: Mapped[str] = mapped_column(DID, primary_key=True)
    is_self: Mapped[bool] = mapped_column(Boolean, default=False)
    head_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    head_hash: Mapped[str | None] = mapped_column(HASH, nullable=True)
    # "active", "quarantined" (forked: nothing new accepted) or "blocked" (by an admin).
    status: Mapped[str] = mapped_column(String(16), default="active")
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Peer we first learned this origin from (None: our own or a direct peer).
    relayed_by: Mapped[str | None] = mapped_column(DID, nullable=True)


class FeedEntry(Base):
    """One verified entry, stored as its canonical bytes (signature included)."""

    __tablename__ = "feed_entries"

    origin: Mapped[str] = mapped_column(DID, ForeignKey("origins.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(HASH)
    ts: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(40))
    raw: Mapped[bytes] = mapped_column(LargeBinary)


class DetachedBody(Base):
    """The detached body of a stored entry (protocol.md §Detached bodies), as canonical bytes.

    Kept apart from ``feed_entries`` because it is erasable: when a later entry drops it, its
    row is deleted (SQLite overwrites the freed bytes: ``secure_delete``, node/people/erasure.py)
    while the entry, which signs only the body's hash, stays.
    """

    __tablename__ = "detached_bodies"

    origin: Mapped[str] = mapped_column(DID, ForeignKey("origins.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    raw: Mapped[bytes] = mapped_column(LargeBinary)


class Space(Base):
    """The current ``space.profile`` of an origin."""

    __tablename__ = "spaces"

    origin: Mapped[str] = mapped_column(DID, ForeignKey("origins.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    profile: Mapped[dict] = mapped_column(JSON)
    seq: Mapped[int] = mapped_column(BigInteger)
    ts: Mapped[int] = mapped_column(BigInteger)


# The network page's order: a keyset page of spaces by name (ARCHITECTURE.md §Network pages).
Index("ix_spaces_name", func.lower(Space.name), Space.origin)


class Resource(Base):
    """A desk, room or office published by an origin (removed ones kept as tombstones)."""

    __tablename__ = "resources"

    origin: Mapped[str] = mapped_column(DID, ForeignKey("origins.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    body: Mapped[dict] = mapped_column(JSON)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    ts: Mapped[int] = mapped_column(BigInteger)


class Event(Base):
    """An event published by an origin; times kept both as published and in UTC for queries."""

    __tablename__ = "events"
    __table_args__ = (
        # The network pages' order and their per-origin counts (ARCHITECTURE.md §Network pages).
        Index("ix_events_order", "start_utc", "origin", "id"),
        Index("ix_events_upcoming", "origin", "cancelled", "end_utc"),
    )

    origin: Mapped[str] = mapped_column(DID, ForeignKey("origins.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    start_utc: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end_utc: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    tags: Mapped[str] = mapped_column(Text, default="")  # ",tag1,tag2," for LIKE matching
    # The node ids the body names in ``cohosts``, as ",id1,id2,": which events name a space.
    cohosts: Mapped[str] = mapped_column(Text, default="", server_default="")
    body: Mapped[dict] = mapped_column(JSON)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    cancel_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    ts: Mapped[int] = mapped_column(BigInteger)


class CohostConfirmation(Base):
    """An origin's word on co-hosting another origin's event (``cohost.confirm`` or
    ``cohost.withdraw``), kept whether or not the event has arrived. Whether the event is
    co-hosted is read with the event's own ``cohosts`` (``node.published``)."""

    __tablename__ = "cohost_confirmations"
    __table_args__ = (Index("ix_cohost_confirmations_event", "event_origin", "event_id"),)

    origin: Mapped[str] = mapped_column(DID, ForeignKey("origins.id"), primary_key=True)
    event_origin: Mapped[str] = mapped_column(DID, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    ts: Mapped[int] = mapped_column(BigInteger)


class Project(Base):
    """A call for collaboration published by an origin (``project.put``); closed by
    ``project.close``. Skills and city are kept lower-cased beside the body for the network
    page's filters (ARCHITECTURE.md §Calls for collaboration)."""

    __tablename__ = "projects"
    __table_args__ = (Index("ix_projects_deadline", "deadline"),)

    origin: Mapped[str] = mapped_column(DID, ForeignKey("origins.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    deadline: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD in the origin's time zone
    city: Mapped[str] = mapped_column(String(100), default="")  # lower case, "" for none
    skills: Mapped[str] = mapped_column(Text, default="")  # ",skill one,skill two," lower case
    remote: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[dict] = mapped_column(JSON)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    close_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    ts: Mapped[int] = mapped_column(BigInteger)


class CohostRequest(Base):
    """An event of another origin that named this node as a co-host: when it was first seen
    (the admins were told then, once) and whether our admin declined it. Private: declining
    publishes nothing unless we had confirmed."""

    __tablename__ = "cohost_requests"

    origin: Mapped[str] = mapped_column(DID, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    declined: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AgreementPublication(Base):
    """An ``agreement.publish`` of one party: the co-signed document as that party's feed
    publishes it. Where the agreement stands is decided at read time (``node.published``)."""

    __tablename__ = "agreement_publications"

    origin: Mapped[str] = mapped_column(DID, ForeignKey("origins.id"), primary_key=True)
    id: Mapped[str] = mapped_column(HASH, primary_key=True)
    document: Mapped[dict] = mapped_column(JSON)
    seq: Mapped[int] = mapped_column(BigInteger)
    ts: Mapped[int] = mapped_column(BigInteger)


class AgreementTermination(Base):
    """An ``agreement.terminate`` in one origin's feed, kept whether or not the agreement has
    arrived yet, so the outcome does not depend on the order feeds were synced."""

    __tablename__ = "agreement_terminations"

    origin: Mapped[str] = mapped_column(DID, ForeignKey("origins.id"), primary_key=True)
    id: Mapped[str] = mapped_column(HASH, primary_key=True)
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    ts: Mapped[int] = mapped_column(BigInteger)


class Revocation(Base):
    """A revoked guest pass (hash of its jti) announced by its issuer."""

    __tablename__ = "revocations"

    origin: Mapped[str] = mapped_column(DID, ForeignKey("origins.id"), primary_key=True)
    jti_hash: Mapped[str] = mapped_column(HASH, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)


class KeyPeriodRow(Base):
    """A key of an origin and its validity, as followed from ``key.rotate`` entries."""

    __tablename__ = "key_periods"

    origin: Mapped[str] = mapped_column(DID, ForeignKey("origins.id"), primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    from_seq: Mapped[int] = mapped_column(BigInteger)
    until_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    from_ts: Mapped[int] = mapped_column(BigInteger)
    until_ts: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class Member(Base):
    """A member of this space: private, never in a feed or on a public page."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    plan: Mapped[str] = mapped_column(String(100), default="")
    # Pseudonymous id carried in guest passes instead of name or email.
    pseudonym: Mapped[str] = mapped_column(String(64), unique=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # A suspended member keeps the record but gets no guest pass (live ones are revoked).
    suspended: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class AdminUser(Base):
    """A person who can log in to the admin pages (password stored hashed)."""

    __tablename__ = "admin_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # "admin" (everything) or "desk" (the front-desk page only: node/web/protection.py).
    role: Mapped[str] = mapped_column(String(16), default="admin", server_default="admin")


class AdminInvite(Base):
    """A link that lets an invited admin user choose their password once (mailed to them):
    only the SHA-256 of its secret is kept, and it expires."""

    __tablename__ = "admin_invites"

    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("admin_users.id", ondelete="CASCADE"), primary_key=True
    )
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AdminSession(Base):
    """One logged-in admin browser. The cookie holds a random secret; only its SHA-256 is kept,
    and the row is checked on every admin request, so deleting it ends that session even for a
    copied cookie (logout, password change, logout everywhere, removing the admin)."""

    __tablename__ = "admin_sessions"

    id_hash: Mapped[str] = mapped_column(HASH, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("admin_users.id", ondelete="CASCADE"), index=True
    )
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LoginThrottle(Base):
    """Failed admin logins of one account (``account:<email>``) or one client address
    (``address:<ip>``) and the lock they earned; in the database so every worker agrees."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AdminToken(Base):
    """A bearer token for the admin API; only its SHA-256 is stored."""

    __tablename__ = "admin_tokens"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(HASH)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class Peer(Base):
    """A node we peer with (or that asked to), with sync health. States: see node.peering."""

    __tablename__ = "peers"

    id: Mapped[str] = mapped_column(DID, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    name: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(16))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state_changed: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_attempt: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_success: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_try: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Entries the peer had that we did not, at the last look at its heads.
    lag: Mapped[int] = mapped_column(BigInteger, default=0)
    # Validators of the peer's heads and forks documents as our last complete round saw them,
    # sent back as If-None-Match (protocol.md §Heads); None means "ask unconditionally".
    heads_etag: Mapped[str | None] = mapped_column(String(140), nullable=True)
    heads_etag_since: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    forks_etag: Mapped[str | None] = mapped_column(String(140), nullable=True)


class Invite(Base):
    """A one-time invite code; only the SHA-256 of its secret is kept."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    secret_hash: Mapped[str] = mapped_column(HASH, unique=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    used_by: Mapped[str | None] = mapped_column(DID, nullable=True)


class OutboxMessage(Base):
    """A signed inbox message waiting to be delivered to a peer (durable, retried with backoff)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "done", "next_try"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    peer_id: Mapped[str] = mapped_column(DID)
    url: Mapped[str] = mapped_column(String(2000))
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[dict] = mapped_column(JSON)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    tries: Mapped[int] = mapped_column(Integer, default=0)
    next_try: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    done: Mapped[bool] = mapped_column(Boolean, default=False)


class QueuedMail(Base):
    """A notice to send by mail, kept in the transaction that caused it and sent by the ``mail``
    job (node/mail.py): a mail server that is down delays a notice, never loses it. Deleted once
    sent; one given up (``next_try`` empty) is kept a week for the record."""

    __tablename__ = "mail_queue"
    __table_args__ = (Index("ix_mail_queue_due", "next_try"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipients: Mapped[list] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    # [file name, MIME type, content in base64] for each attachment
    attachments: Mapped[list] = mapped_column(JSON)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    tries: Mapped[int] = mapped_column(Integer, default=0)
    next_try: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class ForkProof(Base):
    """Proof that an origin signed two different entries at one seq."""

    __tablename__ = "fork_proofs"

    origin: Mapped[str] = mapped_column(DID, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    proof: Mapped[dict] = mapped_column(JSON)
    found: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Block(Base):
    """A node an admin blocked: no sync, no relay, no inbox."""

    __tablename__ = "blocks"

    node_id: Mapped[str] = mapped_column(DID, primary_key=True)
    reason: Mapped[str] = mapped_column(String(500), default="")
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Mute(Base):
    """A node an admin muted: hidden from the network views, still synced and relayed.

    ``scope`` "origin" hides the origin ``node_id``; "relayed-by" hides every origin whose
    ``Origin.relayed_by`` is the peer ``node_id`` (its own feed aside), later ones included.
    """

    __tablename__ = "mutes"

    node_id: Mapped[str] = mapped_column(DID, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SeenSignature(Base):
    """Signatures of inbox requests already accepted, kept until they expire (replay window)."""

    __tablename__ = "seen_signatures"

    id: Mapped[str] = mapped_column(HASH, primary_key=True)
    expires: Mapped[int] = mapped_column(BigInteger, index=True)


class JobLease(Base):
    """Who runs a scheduled job right now, so it never runs twice at once across processes."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    expires: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class NodeAddress(Base):
    """Where a node can be reached, as announced in some origin's ``peer.announce`` entry."""

    __tablename__ = "node_addresses"

    node_id: Mapped[str] = mapped_column(DID, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    announced_by: Mapped[str] = mapped_column(DID)
    seq: Mapped[int] = mapped_column(BigInteger)


class OwnFeedCheck(Base):
    """What peers hold of our own feed beyond our head (protocol.md §Feeds, "Writing").

    One row, keyed by our node id. ``peer_seq`` is the highest seq of our feed that a peer proved
    it holds (it served a validly signed entry of ours after our head); while it exceeds our head,
    every publishing path refuses until ``spazi feed recover`` pulls the missing entries back. The
    verdict lives in the database so every worker process and the CLI agree on it.
    """

    __tablename__ = "own_feed_checks"

    origin: Mapped[str] = mapped_column(DID, primary_key=True)
    peer_id: Mapped[str | None] = mapped_column(DID, nullable=True)
    peer_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    checked: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# Each feature's own tables join the metadata once the core ones exist (ARCHITECTURE.md
# §Registries and features): migrations and create_all see every table.
load_models()
