"""Protocol versions as data: each entry type's schema and meaning in one record.

A :class:`ProtocolVersion` holds what nodes speaking it must agree on: its signature-tag and
path prefixes, its entry types (body schema, cross-field check, fold into published state) and
its inbox message types (closed schema and delivery policy, :mod:`federation.messages`).

Adding an entry type is adding one :class:`EntryType` here, its body schema in
:mod:`federation.bodies`, its fold in :mod:`federation.state`, and its section in
``protocol.md`` §Entry types (a test keeps the spec and this registry listing the same types);
a node then needs one projector for it (ARCHITECTURE.md §Registries and features). A message
type is one ``MessageType`` in :mod:`federation.messages` and, on the node, one handler.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from federation import bodies, state
from federation.errors import BodyError
from federation.messages import MESSAGE_TYPES, MessageTypes
from federation.registry import Registry
from federation.schema import Check
from federation.state import Fold, FoldedEntry, NetworkState

CrossCheck = Callable[[Mapping[str, Any]], None]


@dataclass(frozen=True)
class EntryType:
    """One kind of feed entry: its name, its body's closed schema and its meaning."""

    name: str
    schema: Check
    fold: Fold
    check: CrossCheck | None = None  # rules across fields, after the schema passed

    def validate(self, body: Any) -> None:
        """Raise :class:`BodyError` unless ``body`` is a valid body of this type."""
        self.schema(body, "")
        if self.check is not None:
            self.check(body)


@dataclass(frozen=True)
class ProtocolVersion:
    """Everything one protocol version fixes (protocol.md §Versioning)."""

    number: int
    entry_types: Mapping[str, EntryType]
    message_types: MessageTypes
    tag_prefix: str = field(init=False)
    path_prefix: str = field(init=False)

    def __post_init__(self) -> None:
        # Tags and paths change together with the number (protocol.md §Versioning).
        object.__setattr__(self, "tag_prefix", f"spazi/v{self.number}/")
        object.__setattr__(self, "path_prefix", f"/federation/v{self.number}/")

    @property
    def folds(self) -> Mapping[str, Fold]:
        """Entry type → its fold into published state."""
        return {name: kind.fold for name, kind in self.entry_types.items()}

    def entry_type(self, name: str) -> EntryType:
        """The record of ``name``; :class:`BodyError` ``unknown-entry-type`` if there is none."""
        try:
            return self.entry_types[name]
        except KeyError:
            raise BodyError("unknown-entry-type", f"unknown entry type {name!r}") from None

    def validate_body(self, entry_type: str, body: Any) -> None:
        """Raise :class:`BodyError` unless ``body`` is a valid body of ``entry_type``."""
        self.entry_type(entry_type).validate(body)

    def fold(self, entries: Iterable[FoldedEntry], net: NetworkState | None = None) -> NetworkState:
        """Fold verified entries (in arrival order) with this version's meanings."""
        return state.fold(entries, self.folds, net)


def _v1_entry_types() -> Mapping[str, EntryType]:
    registry = Registry("entry type")
    for kind in (
        EntryType(
            "space.profile", bodies.SPACE_PROFILE, state.fold_profile, bodies.check_profile
        ),
        EntryType(
            "resource.put",
            bodies.RESOURCE_PUT,
            state.fold_resource_put,
            bodies.check_resource_prices,
        ),
        EntryType("resource.remove", bodies.RESOURCE_REMOVE, state.fold_resource_remove),
        EntryType("event.put", bodies.EVENT_PUT, state.fold_event_put, bodies.check_event_times),
        EntryType("event.cancel", bodies.EVENT_CANCEL, state.fold_event_cancel),
        EntryType("cohost.confirm", bodies.COHOST_CONFIRM, state.fold_cohost_confirm),
        EntryType("cohost.withdraw", bodies.COHOST_WITHDRAW, state.fold_cohost_withdraw),
        EntryType("project.put", bodies.PROJECT_PUT, state.fold_project_put),
        EntryType("project.close", bodies.PROJECT_CLOSE, state.fold_project_close),
        EntryType("agreement.publish", bodies.AGREEMENT_PUBLISH, state.fold_agreement_publish),
        EntryType(
            "agreement.terminate", bodies.AGREEMENT_TERMINATE, state.fold_agreement_terminate
        ),
        EntryType("pass.revoke", bodies.PASS_REVOKE, state.fold_pass_revoke),
        EntryType("key.rotate", bodies.KEY_ROTATE, state.fold_key_rotate),
        EntryType("peer.announce", bodies.PEER_ANNOUNCE, state.fold_peer_announce),
        EntryType("profile.put", bodies.PROFILE_PUT, state.fold_profile_put),
        EntryType("profile.withdraw", bodies.PROFILE_WITHDRAW, state.fold_profile_withdraw),
    ):
        registry.register(kind.name, kind)
    return registry.freeze()


V1 = ProtocolVersion(1, _v1_entry_types(), MESSAGE_TYPES)
ENTRY_TYPES = frozenset(V1.entry_types)


def validate_body(entry_type: str, body: Any) -> None:
    """Raise :class:`BodyError` (``unknown-entry-type`` for an unknown type) unless ``body`` is
    a valid v1 body of ``entry_type``."""
    V1.validate_body(entry_type, body)
