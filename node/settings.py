"""The node's settings: one declared table, read from ``DATA_DIR/spazi.toml`` then ``SPAZI_*``.

Nothing reads configuration at import time: :func:`load_settings` is called by ``create_app`` and
the CLI, and tests pass a dict of overrides instead.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


class SettingsError(ValueError):
    """A setting has a bad value or the settings file cannot be read."""


class Constraint(Protocol):
    """What values a setting may take, checked by :func:`load_settings` whatever the source."""

    @property
    def allowed(self) -> str:
        """The allowed values in words, for error messages ("an integer from 1 to 65535")."""
        ...

    def accepts(self, value: Any) -> bool:
        """Whether the (already type-coerced) value is allowed."""
        ...


@dataclass(frozen=True)
class Between:
    """An integer from ``low`` to ``high``, both included."""

    low: int
    high: int

    @property
    def allowed(self) -> str:
        """The range in words."""
        return f"an integer from {self.low} to {self.high}"

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` lies in the range."""
        return isinstance(value, int) and self.low <= value <= self.high


@dataclass(frozen=True)
class OneOf:
    """One of a few values; text choices are matched without regard to case and stored as
    written here."""

    choices: tuple[Any, ...]

    @property
    def allowed(self) -> str:
        """The choices in words."""
        return "one of " + ", ".join(toml_value(c) for c in self.choices)

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` is one of the choices (exactly; :func:`_coerce` fixed the case)."""
        return any(value == c and type(value) is type(c) for c in self.choices)


@dataclass(frozen=True)
class Text:
    """Printable text of at most ``max_length`` characters; empty only when ``empty`` is true;
    with ``schemes``, a URL whose scheme (before any ``+driver``) is one of them."""

    max_length: int
    empty: bool = True
    schemes: tuple[str, ...] = ()

    @property
    def allowed(self) -> str:
        """The text's shape in words."""
        what = "text"
        if self.schemes:
            what = "a URL starting " + " or ".join(f"{s}:" for s in self.schemes)
        size = f"at most {self.max_length} printable characters"
        return f"{what}, {size}" + (", or empty" if self.empty else ", not empty")

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` has this shape."""
        if not isinstance(value, str) or len(value) > self.max_length:
            return False
        if value == "":
            return self.empty
        if not value.isprintable():
            return False
        if self.schemes:
            scheme = value.partition(":")[0].partition("+")[0].lower()
            return scheme in self.schemes and "://" in value
        return True


@dataclass(frozen=True)
class Setting:
    """One setting: its name (``spazi.toml`` key; env var ``SPAZI_<NAME>``), default and help.

    The help is the one text people read about the setting: ``spazi settings`` shows it and the
    README's settings table repeats it word for word (``spazi settings --markdown`` prints that
    table; tests/node/test_settings.py checks the two agree).
    """

    name: str
    default: Any
    help: str
    secret: bool = False
    # How the README states a default that is computed rather than written here.
    shown_default: str = ""
    # The allowed values (tests/node/test_settings.py checks every setting has one).
    constraint: Constraint | None = None

    @property
    def env(self) -> str:
        """The environment variable that sets it: ``SPAZI_<NAME>``."""
        return "SPAZI_" + self.name.upper()

    @property
    def default_text(self) -> str:
        """The default as the README's table shows it: 8080 in backticks, a dash for none."""
        if self.shown_default:
            return self.shown_default
        if self.default == "":
            return "—"
        return f"`{str(self.default).lower() if isinstance(self.default, bool) else self.default}`"


# Largest sizes an operator may configure: far above any sane value, low enough that a typo of
# a few extra digits is caught.
_GIB = 1 << 30
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "data_dir",
        "",
        "Directory holding spazi.toml, the node key and the SQLite database.",
        constraint=Text(4096),
    ),
    Setting(
        "database_url",
        "",
        "SQLAlchemy URL, e.g. `postgresql+psycopg://user@host/dbname`; empty means SQLite at "
        "DATA_DIR/spazi.db.",
        True,  # may hold a database password
        shown_default="SQLite in the data dir",
        constraint=Text(4096, schemes=("sqlite", "postgresql")),
    ),
    Setting(
        "url",
        "",
        "Public base URL of this node, e.g. https://thecube.example; peers sign requests to it.",
        constraint=Text(2048, schemes=("http", "https")),
    ),
    Setting("host", "127.0.0.1", "Address `spazi run` listens on.", constraint=Text(253, False)),
    Setting("port", 8080, "Port `spazi run` listens on.", constraint=Between(1, 65535)),
    Setting(
        "language",
        "en",
        "Language of the pages (`en` English, `it` Italian) for visitors whose browser asks for "
        "neither and who have not picked one with the switch at the foot of every page, and of "
        "the mails whose recipient's language is not known.",
        constraint=OneOf(("en", "it")),
    ),
    Setting(
        "secret_key",
        "",
        "Secret for signing session cookies (generated by `spazi init`).",
        True,
        shown_default="generated",
        constraint=Text(1024),
    ),
    Setting(
        "key_file",
        "node.key",
        "Node private key file, relative to DATA_DIR (mode 0600).",
        constraint=Text(4096, False),
    ),
    Setting(
        "smtp_host",
        "",
        "SMTP server for the node's mail (personal links, passes, notices to admins); empty "
        "means no mail is sent.",
        constraint=Text(253),
    ),
    Setting("smtp_port", 587, "Port of the SMTP server.", constraint=Between(1, 65535)),
    Setting(
        "smtp_starttls",
        True,
        "Switch the SMTP connection to TLS (STARTTLS) before logging in or sending.",
        constraint=OneOf((True, False)),
    ),
    Setting("smtp_user", "", "SMTP login, if the server wants one.", constraint=Text(254)),
    Setting("smtp_password", "", "SMTP password.", True, constraint=Text(1024)),
    Setting(
        "smtp_from",
        "",
        "Sender address of the node's mail, e.g. `Spazi <noreply@space.example>`.",
        constraint=Text(320),
    ),
    Setting(
        "metrics_token",
        "",
        "Bearer token a Prometheus scrape of /metrics must send; empty means /metrics is open "
        "(keep it reachable from the monitoring host only).",
        True,
        constraint=Text(1024),
    ),
    Setting(
        "key_passphrase",
        "",
        "Passphrase of the node key file, if it is encrypted.",
        True,
        constraint=Text(1024),
    ),
    Setting(
        "max_request_bytes",
        1_048_576,
        "Largest request body accepted, checked before parsing.",
        # At least one inbox message (64 KiB, protocol.md §Size limits) must fit.
        constraint=Between(65_536, _GIB),
    ),
    Setting(
        "feed_page_default",
        200,
        "Entries per feed page when a client gives no limit.",
        constraint=Between(1, 1000),
    ),
    Setting(
        "feed_page_max",
        1000,
        "Most entries served in one feed page (larger limits are reduced).",
        # protocol.md §Size limits: no page holds more than 1000 entries.
        constraint=Between(1, 1000),
    ),
    Setting(
        "allow_private_peers",
        False,
        "Allow peers on loopback/private/link-local addresses (local networks and tests only).",
        constraint=OneOf((True, False)),
    ),
    Setting(
        "sync_interval",
        60,
        "Seconds between pulls from each peer.",
        constraint=Between(1, 7 * 86_400),
    ),
    Setting(
        "sync_round_budget",
        30,
        "Seconds one pull from one peer may take; when they run out the pull stops after the "
        "page in hand, keeps what it stored and goes on later, and the peer backs off.",
        constraint=Between(1, 3600),
    ),
    Setting(
        "sync_threads",
        3,
        "Peers pulled at the same time, so that one slow peer does not hold up the others.",
        constraint=Between(1, 32),
    ),
    Setting(
        "verify_threads",
        0,
        "Threads that check a synced page's signatures at once; `0` means one per CPU (at most "
        "8), `1` checks them on the syncing thread alone.",
        constraint=Between(0, 256),
    ),
    Setting(
        "gossip",
        "network",
        "Which origins to mirror: `network` (all a peer carries) or `peers` (direct peers only).",
        constraint=OneOf(("network", "peers")),
    ),
    Setting(
        "max_origins_per_relay",
        5000,
        "Most origins one peer may introduce (feeds first learned from it, its own aside); "
        "beyond it new origins are taken only from other peers.",
        constraint=Between(1, 10_000_000),
    ),
    Setting(
        "scheduler",
        True,
        "Run sync and outbox jobs in the node process, `spazi run` or gunicorn (false: use "
        "`spazi worker`).",
        constraint=OneOf((True, False)),
    ),
    Setting(
        "max_pending_requests",
        50,
        "Peering requests that may wait for an admin at once; beyond it a request without an "
        "invite code is refused (429) until an admin answers or clears them.",
        constraint=Between(1, 100_000),
    ),
    Setting(
        "peer_requests_per_minute",
        10,
        "Peering requests one address may send per minute (counted by each server process; "
        "behind a reverse proxy every sender shares the proxy's address).",
        constraint=Between(1, 10_000),
    ),
    Setting(
        "outbound_timeout",
        10,
        "Seconds before an outbound call to a peer times out.",
        constraint=Between(1, 600),
    ),
    Setting(
        "max_response_bytes",
        8_388_608,
        "Largest response read from a peer.",
        # A full feed page may be 8 MiB and a node descriptor 256 KiB (protocol.md §Size limits).
        constraint=Between(262_144, _GIB),
    ),
    Setting(
        "photo_upload_bytes",
        15_728_640,
        "Largest image an admin may upload as a photo (before it is scaled and re-encoded).",
        constraint=Between(65_536, _GIB),
    ),
    Setting(
        "photo_cache_bytes",
        1_073_741_824,
        "Disk budget for other spaces' photos cached here; unreferenced ones are evicted first, "
        "the node's own never.",
        # At least one photo file (2 MiB, protocol.md §Size limits) must fit.
        constraint=Between(2_097_152, 1 << 40),
    ),
    Setting(
        "db_busy_timeout_ms",
        5000,
        "Milliseconds a request waits for SQLite's write lock before it is answered with 503 "
        "and `Retry-After`.",
        constraint=Between(0, 60_000),
    ),
    Setting(
        "proxy_hops",
        0,
        "Reverse proxies in front of the node whose `X-Forwarded-For` is trusted for the client's "
        "address (`1` behind deploy/nginx.conf); admin logins are throttled per address.",
        constraint=Between(0, 5),
    ),
    Setting("log_level", "INFO", "Python logging level.", constraint=OneOf(LOG_LEVELS)),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def _coerce(setting: Setting, value: Any, source: str = "") -> Any:
    """Turn a TOML, environment or command-line value into the type of the setting's default,
    then check it against the setting's constraint; ``source`` says where the value came from."""
    value = _typed(setting, value, source)
    if isinstance(setting.constraint, OneOf) and isinstance(value, str):
        # Choices of text are matched in any case ("debug" is DEBUG) and kept as declared.
        value = next(
            (c for c in setting.constraint.choices if str(c).lower() == value.lower()), value
        )
    if setting.constraint is not None and not setting.constraint.accepts(value):
        where = f" (from {source})" if source else ""
        raise SettingsError(
            f"setting {setting.name} must be {setting.constraint.allowed}, "
            f"got {_shown(setting, value)}{where}"
        )
    return value


def _shown(setting: Setting, value: Any) -> str:
    """A value for an error message: secrets are never repeated, long text is cut."""
    if setting.secret:
        return "a value that is not allowed"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_setting(name: str, value: Any, source: str) -> Any:
    """``value`` for setting ``name`` (from ``source``, e.g. ``--port``), coerced and checked;
    :class:`SettingsError` naming the setting and its allowed values otherwise."""
    return _coerce(_BY_NAME[name], value, source)


def _typed(setting: Setting, value: Any, source: str) -> Any:
    """The value as the type of the setting's default (TOML may give it already typed)."""
    kind = type(setting.default)
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    if isinstance(value, str):
        text = value.strip()
        if kind is bool:
            if text.lower() in {"1", "true", "yes", "on"}:
                return True
            if text.lower() in {"0", "false", "no", "off", ""}:
                return False
        elif kind is int:
            try:
                return int(text)
            except ValueError:
                pass
        elif kind is str:
            return value
    where = f" (from {source})" if source else ""
    raise SettingsError(
        f"setting {setting.name} must be a {kind.__name__}, got {_shown(setting, value)}{where}"
    )


def load_settings(
    data_dir: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Defaults, then ``spazi.toml`` in the data dir, then ``SPAZI_*`` variables, then overrides."""
    env = os.environ if environ is None else environ
    values = {s.name: s.default for s in SETTINGS}
    chosen_dir = data_dir or (overrides or {}).get("data_dir") or env.get("SPAZI_DATA_DIR") or ""
    if chosen_dir:
        values["data_dir"] = str(Path(chosen_dir).resolve())
        toml_path = Path(values["data_dir"]) / "spazi.toml"
        if toml_path.exists():
            try:
                from_file = tomllib.loads(toml_path.read_text("utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise SettingsError(f"{toml_path} is not valid TOML: {exc}") from exc
            for name, value in from_file.items():
                if name not in _BY_NAME:
                    raise SettingsError(f"{toml_path}: unknown setting {name!r}")
                values[name] = _coerce(_BY_NAME[name], value, str(toml_path))
    for setting in SETTINGS:
        if setting.name != "data_dir" and setting.env in env:
            values[setting.name] = _coerce(setting, env[setting.env], setting.env)
    for name, value in (overrides or {}).items():
        if name not in _BY_NAME:
            raise SettingsError(f"unknown setting {name!r}")
        values[name] = _coerce(_BY_NAME[name], value, "the caller's overrides")
    if not values["database_url"] and values["data_dir"]:
        values["database_url"] = "sqlite:///" + str(Path(values["data_dir"]) / "spazi.db")
    return values


def toml_value(value: Any) -> str:
    """A TOML literal for a str, int or bool setting value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def render_toml(values: Mapping[str, Any]) -> str:
    """The text of a ``spazi.toml`` holding ``values``, each with its help as a comment."""
    lines = ["# Spazi node settings. Every setting can also be set as SPAZI_<NAME>.", ""]
    for name, value in values.items():
        lines.append(f"# {_BY_NAME[name].help}")
        lines.append(f"{name} = {toml_value(value)}")
        lines.append("")
    return "\n".join(lines)


def write_setting(data_dir: str | os.PathLike[str], name: str, value: Any) -> Path:
    """Set ``name`` to ``value`` in the data dir's ``spazi.toml``, keeping every other line
    (and the admin's comments) as it was; returns the file's path."""
    setting = _BY_NAME[name]
    line = f"{name} = {toml_value(_coerce(setting, value, name))}"
    path = Path(data_dir) / "spazi.toml"
    lines = path.read_text("utf-8").splitlines() if path.exists() else []
    assignment = re.compile(rf"^\s*{re.escape(name)}\s*=")
    replaced = [line if assignment.match(old) else old for old in lines]
    if not any(assignment.match(old) for old in lines):
        replaced += [f"# {setting.help}", line]
    path.write_text("\n".join(replaced) + "\n", "utf-8")
    load_settings(data_dir)  # still valid TOML with the new value, or a SettingsError
    return path


def markdown_table() -> str:
    """The README's settings table, generated from :data:`SETTINGS` (``spazi settings
    --markdown``): paste it over the old one when a setting changes."""
    lines = ["| setting | variable | default | meaning |", "| --- | --- | --- | --- |"]
    for setting in SETTINGS:
        lines.append(
            f"| `{setting.name}` | `{setting.env}` | {setting.default_text} | {setting.help} |"
        )
    return "\n".join(lines)
