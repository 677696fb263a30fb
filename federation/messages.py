"""Inbox message types as data: one record per type of protocol.md §Inbox.

Each record holds the type's name, the closed schema of its members beyond the envelope
(``type``, ``from``, ``to``) and how a node delivers and accepts it. The receiver refuses any
member its type does not define, at any depth (protocol.md §Versioning rule 1), so a sender can't
hide a condition in a member a verifier skips.

What a node *does* with a message is not here: node code registers one handler per type. This
module only says which messages exist and what they look like, so the spec's table and the code
list the same set (``tests/federation/test_messages.py`` compares them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from federation.agreements import check_agreement_shape
from federation.bodies import REASON
from federation.errors import BodyError, MessageError
from federation.keys import is_node_id
from federation.registry import Registry
from federation.schema import (
    HEX64,
    IDENT,
    URL,
    Field,
    Obj,
    array,
    clock_time,
    integer,
    iso_date,
    node_id,
    one_of,
    opt,
    req,
    string,
)
from federation.vocabulary import MAX_SEQ, RESOURCE_KINDS

MAX_MESSAGE_BYTES = 64 * 1024  # protocol.md §Inbox: checked before parsing
MAX_HEADS = 1000  # origins in one heads.changed (the 64 KiB body holds fewer anyway)
MAX_KEY_ENTRIES = 256  # key.rotate entries in a peer.request (protocol.md §Inbox)

PeerNeed = Literal["none", "known", "active"]
"""What the receiver must already have with the sender before acting on a message:
``none`` (anyone may send it), ``known`` (a peer row in any state: the peering state machine then
decides), ``active`` (an active peering; otherwise ``not-a-peer``)."""


@dataclass(frozen=True)
class MessageType:
    """One inbox message type: its members and its delivery policy."""

    name: str
    members: Mapping[str, Field] = field(default_factory=dict)
    # Receiving: the peering the sender must have (protocol.md §Inbox, ``not-a-peer``).
    needs_peer: PeerNeed = "none"
    # Sending through the outbox: retry until delivered (the exchange stays half done without
    # it), rather than give up after a day of failures (a hint the periodic pull makes up for).
    keep_trying: bool = False
    # Sending through the outbox: a newer message of this type to the same peer replaces an
    # unsent older one (only the latest heads matter).
    coalesce: bool = False
    # A check across members that the schema cannot say (raises BodyError), like an entry type's.
    cross_check: Callable[[Mapping[str, Any]], None] | None = None
    _schema: Obj = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        envelope = {"type": req(one_of(self.name)), "from": req(node_id), "to": req(node_id)}
        clash = envelope.keys() & self.members.keys()
        if clash:
            raise ValueError(f"{self.name}: members {sorted(clash)} belong to the envelope")
        object.__setattr__(self, "_schema", Obj({**envelope, **self.members}))

    def check(self, message: Any) -> None:
        """Raise :class:`MessageError` (``bad-message``) unless ``message`` is of this type."""
        try:
            self._schema(message, "")
            if self.cross_check is not None:
                self.cross_check(message)
        except BodyError as exc:
            raise MessageError("bad-message", f"{self.name}: {exc.detail}") from exc


class MessageTypes:
    """A registry of message types by name: each name once, closed for good once frozen."""

    def __init__(self, types: Iterable[MessageType] = ()) -> None:
        self._registry = Registry("message type")
        self._types: Mapping[str, MessageType] = {}
        self._frozen = False
        for message_type in types:
            self.register(message_type)

    def register(self, message_type: MessageType) -> None:
        """Add ``message_type``; raises on a second one of that name or after :meth:`freeze`."""
        self._registry.register(message_type.name, message_type)
        self._types = self._registry.items()

    def freeze(self) -> None:
        """Close the registry for good."""
        self._types = self._registry.freeze()
        self._frozen = True

    @property
    def frozen(self) -> bool:
        """True once :meth:`freeze` was called."""
        return self._frozen

    def get(self, name: str) -> MessageType | None:
        return self._types.get(name)

    def __getitem__(self, name: object) -> MessageType:
        """The type called ``name``; :class:`MessageError` ``unknown-message-type`` if none is."""
        found = self._types.get(name) if isinstance(name, str) else None
        if found is None:
            raise MessageError("unknown-message-type", f"unknown message type {name!r:.80}")
        return found

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def __iter__(self) -> Iterator[MessageType]:
        return iter(self._types.values())

    def __len__(self) -> int:
        return len(self._types)

    def names(self) -> frozenset[str]:
        return frozenset(self._types)

    def message_type(self, message: Any) -> MessageType:
        """The type of ``message`` after checking its envelope only (not the type's members).

        The order is the refusal order of protocol.md §Inbox: an object, a known ``type``
        (``unknown-message-type``), then node ids in ``from`` and ``to`` (``bad-message``).
        """
        if not isinstance(message, Mapping):
            raise MessageError("bad-message", "an inbox message is a JSON object")
        message_type = self[message.get("type")]
        if not is_node_id(message.get("from")) or not is_node_id(message.get("to")):
            raise MessageError("bad-message", "from and to must be node ids")
        return message_type

    def validate(self, message: Any) -> MessageType:
        """Check envelope and members; return the message's type."""
        message_type = self.message_type(message)
        message_type.check(message)
        return message_type


def _object(value: Any, path: str) -> None:
    if not isinstance(value, Mapping):
        raise BodyError(detail=f"{path} must be an object")


HEAD = Obj({"seq": req(integer(1, MAX_SEQ)), "hash": req(HEX64)})


def _heads(value: Any, path: str) -> None:
    """origin → ``{"seq", "hash"}``, like §Heads: a node id, a positive safe seq, an entry hash."""
    _object(value, path)
    if len(value) > MAX_HEADS:
        raise BodyError(detail=f"{path} names more than {MAX_HEADS} origins")
    for origin, head in value.items():
        node_id(origin, f"{path} key")
        HEAD(head, f"{path}[{origin}]")


def _signed_agreement(value: Any, path: str) -> None:
    # BodyError carries reason bad-body; MessageType.check reports it as bad-message.
    check_agreement_shape(value, path)


# A guest pass's ``sub`` and ``jti`` (protocol.md §Guest passes, Claims).
_PASS_SUB = string(64, 1, r"[A-Za-z0-9_\-]+")
_PASS_JTI = string(64, 16, r"[A-Za-z0-9_\-]+")

# The types of protocol.md §Inbox, in its order.
PEER_REQUEST = MessageType(
    "peer.request",
    {
        "url": req(URL),
        "name": opt(string(200)),
        # The secret of an invite code; whether it is one is the invite check's answer
        # (invite-unknown), not a question of shape.
        "invite": opt(string(256)),
        # key.rotate entries: each is checked as an entry when the keyring is rebuilt from them.
        "keys": opt(array(_object, MAX_KEY_ENTRIES)),
    },
)
PEER_ACCEPT = MessageType("peer.accept", needs_peer="known", keep_trying=True)
PEER_REJECT = MessageType("peer.reject", needs_peer="known", keep_trying=True)
HEADS_CHANGED = MessageType(
    "heads.changed", {"heads": req(_heads)}, needs_peer="active", coalesce=True
)
# Twinning (protocol.md §Agreements). A proposal carries only the proposer's signature, so its
# member is checked as an object here; the handler verifies the document (federation.agreements).
AGREEMENT_PROPOSE = MessageType("agreement.propose", {"agreement": req(_object)}, keep_trying=True)
AGREEMENT_ACCEPT = MessageType(
    "agreement.accept", {"agreement": req(_signed_agreement)}, keep_trying=True
)
AGREEMENT_REJECT = MessageType(
    "agreement.reject",
    {"id": req(HEX64), "reason": opt(REASON)},
    keep_trying=True,  # the proposer would otherwise wait for an answer for ever
)
VISIT_REPORT = MessageType(
    "visit.report",
    {
        "agreement": req(HEX64),
        "member": req(_PASS_SUB),
        "day": req(iso_date),
        "jti": req(_PASS_JTI),
    },
    keep_trying=True,  # a lost report would leave the home node's count of guest days short
)


def _check_slot(message: Mapping[str, Any]) -> None:
    """``start`` and ``end`` come together, the end after the start (a room's slot)."""
    start, end = message.get("start"), message.get("end")
    if (start is None) != (end is None):
        raise BodyError("start and end come together")
    if start is not None and not str(start) < str(end):
        raise BodyError("end must be later than start")


BOOKING_NOTICE = MessageType(
    "booking.notice",
    {
        "agreement": req(HEX64),
        "member": req(_PASS_SUB),
        "jti": req(_PASS_JTI),
        "booking": req(IDENT),
        "state": req(one_of("booked", "cancelled")),
        "day": req(iso_date),
        "start": opt(clock_time),
        "end": opt(clock_time),
        "resource_kind": req(one_of(*RESOURCE_KINDS)),
        "resource": req(string(200, 1)),
    },
    cross_check=_check_slot,
    keep_trying=True,  # the member's page would show a booking they no longer hold, or miss one
)

# Calls for collaboration (protocol.md §Inbox, "Answers to calls"). The member's home node
# sends the answer in its own name: ``home`` names the member's home node, so a receiver
# refuses an answer about another node's member, and the member's e-mail address never leaves
# home (the reply comes back there, and the home node mails it on).
_ANSWER_TEXT = string(5000, 1, lines=True)
PROJECT_ANSWER = MessageType(
    "project.answer",
    {
        "project": req(IDENT),
        "answer": req(IDENT),
        "home": req(node_id),
        "member": req(_PASS_SUB),
        "name": req(string(200, 1)),
        "message": req(_ANSWER_TEXT),
    },
    keep_trying=True,  # the member was told their answer is on its way
)
PROJECT_REPLY = MessageType(
    "project.reply",
    {
        "project": req(IDENT),
        "answer": req(IDENT),
        "reply": req(IDENT),
        "message": req(_ANSWER_TEXT),
    },
    keep_trying=True,  # the posting space's admin was told the reply is on its way
)

MESSAGE_TYPES = MessageTypes(
    [
        PEER_REQUEST,
        PEER_ACCEPT,
        PEER_REJECT,
        HEADS_CHANGED,
        AGREEMENT_PROPOSE,
        AGREEMENT_ACCEPT,
        AGREEMENT_REJECT,
        VISIT_REPORT,
        BOOKING_NOTICE,
        PROJECT_ANSWER,
        PROJECT_REPLY,
    ]
)
MESSAGE_TYPES.freeze()


def message_type(message: Any) -> MessageType:
    """The §Inbox type of ``message``, its envelope checked but not its members."""
    return MESSAGE_TYPES.message_type(message)


def validate_message(message: Any) -> MessageType:
    """Check ``message`` against its §Inbox type; raise :class:`MessageError` or return the type."""
    return MESSAGE_TYPES.validate(message)
