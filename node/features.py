"""Features plug into the node through one record each (ARCHITECTURE.md §Registries and
features).

A :class:`Feature` names what a feature brings: the projectors of the entry types it owns, the
handlers of its inbox messages, its web parts, its CLI commands and its scheduled jobs.
``create_app``, the CLI and the scheduler iterate over :data:`FEATURES`; nothing else lists a
feature's parts. Parts are named as ``"module:attribute"`` and imported when first asked for, so
reading the records costs nothing: ``spazi --version`` does not import Flask, and a feature's
code may import the node's storage, which itself asks this module for the projectors.

The registries are built once, on first use, and frozen; a kind registered twice is an error.
:func:`check` finds entry types without a projector; ``node.startup.registry_problems``, which
``create_app`` and ``spazi worker`` run before anything else, adds the inbox's check of message
types. Each record also declares, as plain names, the entry types its projectors project and the
message types its inbox function covers: :func:`declared_problems` checks those against the
protocol without importing any feature's code (the check every CLI command that writes runs),
and :func:`check` finds a declaration that differs from what the feature's code registers.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from federation.registry import Registry

if TYPE_CHECKING:  # the CLI reads the records before it needs the protocol's code
    from federation.version import ProtocolVersion


@dataclass(frozen=True)
class Feature:
    """What one feature plugs into the node. Each part is ``"module:attribute"`` or empty."""

    name: str
    projectors: str = ""  # a tuple of node.projection.Projector
    # the entry types those projectors project, by name (checked equal by check())
    entry_types: tuple[str, ...] = ()
    inbox: str = ""  # a function(registry) registering handlers on node.network.handlers
    # the message types that function handles or refuses, by name (node.startup checks them equal)
    messages: tuple[str, ...] = ()
    web: tuple[str, ...] = ()  # modules with init_app(app), in order
    cli: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # module -> its commands
    jobs: str = ""  # a tuple of node.jobs.Job
    # a tuple of node.projection.Watcher: its own rows derived from other features' entry types
    watchers: str = ""
    models: str = ""  # a module whose import adds the feature's tables to node.db.Base
    # function(session, node, member_id) run when a member is suspended or removed
    member_leaving: str = ""


def resolve(reference: str) -> Any:
    """The object ``"module:attribute"`` names."""
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)


CORE = Feature(
    name="core",
    projectors="node.projectors:LISTING_PROJECTORS",
    entry_types=(
        "space.profile",
        "resource.put",
        "resource.remove",
        "event.put",
        "event.cancel",
        "cohost.confirm",
        "cohost.withdraw",
        "agreement.publish",
        "agreement.terminate",
        "pass.revoke",
    ),
    jobs="node.jobs:CORE_JOBS",
    web=(
        "node.http.health",
        "node.http.metrics_endpoint",
        "node.http.api",
        "node.http.cohost_api",
        "node.http.wellknown",
        "node.web",
    ),
    cli={
        "node.cli.setup_cmds": ("init", "run", "settings", "db"),
        "node.cli.content_cmds": ("space", "resource", "event", "member", "feed"),
        "node.cli.admin_cmds": ("admin",),
    },
)

NETWORK = Feature(
    name="network",
    projectors="node.projectors:NETWORK_PROJECTORS",
    entry_types=("key.rotate", "peer.announce"),
    web=("node.http.federation_read", "node.http.inbox"),
    cli={"node.cli.network_cmds": ("peer", "sync", "key", "worker", "network")},
    inbox="node.network.inbox_handlers:register_core_handlers",
    messages=("peer.request", "peer.accept", "peer.reject", "heads.changed"),
    jobs="node.jobs:NETWORK_JOBS",
)

# Agreements, guest passes and the front desk (node/twinning/).
TWINNING = Feature(
    name="twinning",
    models="node.twinning.models",
    member_leaving="node.twinning.passes:revoke_member_passes",
    inbox="node.twinning.handlers:register_handlers",
    messages=("agreement.propose", "agreement.accept", "agreement.reject", "visit.report"),
    web=("node.twinning.api", "node.twinning.pages"),
    cli={"node.twinning.cli": ("agreement", "pass", "report", "checkin")},
    jobs="node.twinning.jobs:TWINNING_JOBS",
)

# Guests of partner spaces book desks and rooms here with their pass (node/bookings/).
BOOKINGS = Feature(
    name="bookings",
    models="node.bookings.models",
    inbox="node.bookings.handlers:register_handlers",
    messages=("booking.notice",),
    web=("node.bookings.api", "node.bookings.pages"),
    cli={"node.bookings.cli": ("booking",)},
    jobs="node.bookings.jobs:BOOKING_JOBS",
)

# Events imported from the ICS calendar a space already keeps (node/calendar_import/).
CALENDAR_IMPORT = Feature(
    name="calendar_import",
    models="node.calendar_import.models",
    web=("node.calendar_import.pages",),
    jobs="node.calendar_import.jobs:CALENDAR_JOBS",
)

# Photos of the space and its events: made, published, fetched and cached (node/photos/).
PHOTOS = Feature(
    name="photos",
    models="node.photos.models",
    watchers="node.photos.refs:PHOTO_WATCHERS",
    web=("node.photos.http", "node.photos.pages"),
    jobs="node.photos.fetching:PHOTO_JOBS",
)

# Calls for collaboration across the network, their answers and replies (node/projects/).
PROJECTS = Feature(
    name="projects",
    models="node.projects.models",
    projectors="node.projects.projectors:PROJECT_PROJECTORS",
    entry_types=("project.put", "project.close"),
    inbox="node.projects.handlers:register_handlers",
    messages=("project.answer", "project.reply"),
    web=("node.projects.api", "node.projects.pages"),
    cli={"node.projects.cli": ("project",)},
    jobs="node.projects.jobs:PROJECT_JOBS",
)

# Backups of a running node in one archive, and restoring them (node/backup/).
BACKUP = Feature(name="backup", cli={"node.backup.cli": ("backup", "restore")})

# A small federated network on this machine in one command (node/demo/).
DEMO = Feature(name="demo", cli={"node.demo.cli": ("demo",)})

# Many spaces served by one process group, routed by host name (node/hub/).
HUB = Feature(name="hub", cli={"node.hub.cli": ("hub",)})

# Members' network profiles, search across the network, get in touch, erasure (node/people/).
PEOPLE = Feature(
    name="people",
    models="node.people.models",
    projectors="node.people.projectors:PEOPLE_PROJECTORS",
    entry_types=("profile.put", "profile.withdraw"),
    member_leaving="node.people.service:member_leaving",
    web=("node.people.pages", "node.people.api"),
)

# Every feature of the node, in the order their parts are registered.
FEATURES: tuple[Feature, ...] = (
    CORE,
    NETWORK,
    TWINNING,
    BOOKINGS,
    CALENDAR_IMPORT,
    PHOTOS,
    PROJECTS,
    BACKUP,
    DEMO,
    HUB,
    PEOPLE,
)


def _collect(part: str, key: Callable[[Any], str], what: str) -> Mapping[str, Any]:
    registry = Registry(what)
    for feature in FEATURES:
        reference = getattr(feature, part)
        for item in resolve(reference) if reference else ():
            registry.register(key(item), item)
    return registry.freeze()


@cache
def projectors() -> Mapping[str, Any]:
    """Entry type → its one projector, from every feature (frozen)."""
    return _collect("projectors", lambda p: p.entry_type, "projector")


@cache
def watchers() -> tuple[Any, ...]:
    """Every feature's projection watchers, in feature order (names unique, checked)."""
    return tuple(_collect("watchers", lambda w: w.name, "watcher").values())


@cache
def jobs() -> Mapping[str, Any]:
    """Job name → its scheduled job, from every feature (frozen)."""
    return _collect("jobs", lambda j: j.name, "job")


def cli_commands() -> dict[str, tuple[str, ...]]:
    """Command module → the commands it registers, in help order; a command named twice
    raises."""
    owner: dict[str, str] = {}
    modules: dict[str, tuple[str, ...]] = {}
    for feature in FEATURES:
        for module, commands in feature.cli.items():
            for command in commands:
                if command in owner:
                    raise ValueError(f"command {command!r} is registered twice")
                owner[command] = module
            modules[module] = commands
    return modules


def member_leaving_hooks() -> list[Callable[..., Any]]:
    """Each feature's function run when a member is suspended or removed."""
    return [resolve(f.member_leaving) for f in FEATURES if f.member_leaving]


def load_models() -> None:
    """Import every feature's models module, so ``node.db.Base`` holds all the tables."""
    for feature in FEATURES:
        if feature.models:
            importlib.import_module(feature.models)


def web_modules() -> list[str]:
    """The modules whose ``init_app(app)`` builds the web app, feature by feature."""
    return [module for feature in FEATURES for module in feature.web]


def inbox_registrations() -> list[Callable[[Any], None]]:
    """Each feature's function that registers its inbox handlers (``node.network.inbox``
    builds the registry from them and checks every message type has a handler or a refusal)."""
    return [resolve(feature.inbox) for feature in FEATURES if feature.inbox]


# What a kind of each declaration lacks when no feature declares it.
_OWNER = {"entry_types": "projector", "messages": "handler and no refusal"}


def declared_problems(version: ProtocolVersion) -> list[str]:
    """What the records' declarations leave uncovered in ``version``, reading no feature's code:
    an entry type no feature projects or a message type none handles or refuses, a kind
    declared by two features, a declared kind the version lacks. Empty when all is well.
    :func:`check` and ``node.startup.registry_problems`` make sure the declarations say what
    the code registers."""
    problems = []
    for what, part, kinds in (
        ("entry type", "entry_types", set(version.entry_types)),
        ("message type", "messages", {t.name for t in version.message_types}),
    ):
        owners: dict[str, list[str]] = {}
        for feature in FEATURES:
            for kind in getattr(feature, part):
                owners.setdefault(kind, []).append(feature.name)
        for kind in sorted(kinds - owners.keys()):
            problems.append(f"{what} {kind} has no {_OWNER[part]}")
        for kind in sorted(owners.keys() - kinds):
            problems.append(
                f"{' and '.join(owners[kind])} declare {kind}, which protocol "
                f"v{version.number} does not have as an {what}"
            )
        for kind in sorted(k for k, names in owners.items() if len(names) > 1):
            problems.append(f"{what} {kind} is declared by {' and '.join(owners[kind])}")
    return problems


def check(version: ProtocolVersion) -> list[str]:
    """What is missing or extra for ``version``: an empty list when every entry type has one
    projector and every feature's projectors project exactly the entry types it declares.
    (Message types are checked where the inbox builds its handlers.)"""
    problems = []
    registered = projectors()
    for name in sorted(set(version.entry_types) - set(registered)):
        problems.append(f"entry type {name} has no projector")
    for name in sorted(set(registered) - set(version.entry_types)):
        problems.append(f"projector for {name}, which protocol v{version.number} does not have")
    for feature in FEATURES:
        built = {p.entry_type for p in resolve(feature.projectors)} if feature.projectors else set()
        problems += declaration_drift(feature.name, "entry_types", feature.entry_types, built)
    return problems


def declaration_drift(
    feature: str, part: str, declared: tuple[str, ...], registered: set[str]
) -> list[str]:
    """Where a feature's declaration (``entry_types`` or ``messages``) differs from the kinds
    its code registers; the CLI's start-up check trusts the declaration."""
    problems = []
    if missing := sorted(set(declared) - registered):
        problems.append(
            f"feature {feature} declares {', '.join(missing)} in {part}, "
            "which its code does not register"
        )
    if extra := sorted(registered - set(declared)):
        problems.append(
            f"feature {feature} registers {', '.join(extra)}, which its {part} does not declare"
        )
    return problems
