"""The hub's list of hosted spaces, ``hub.toml``, and the checks made when it changes.

``hub.toml`` holds one key, ``spaces``: the data dirs served, relative to the hub's directory or
absolute. Each space is reached by the host name of its own ``url`` setting (lower case, no
port), so no second mapping can disagree with the address the node signs in its descriptor;
two spaces with one host are refused (ARCHITECTURE.md §Hosting many spaces).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from node.settings import SettingsError, load_settings

HUB_FILE = "hub.toml"
SPACES_DIR = "spaces"
# A host name as DNS writes it: letters, digits, hyphens and dots (IDNs in their xn-- form).
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")


class HubError(Exception):
    """A refusal about the hub or one of its spaces, said in one line."""


@dataclass(frozen=True)
class Hosted:
    """One hosted space as ``hub.toml`` and its own settings describe it."""

    host: str
    url: str
    data_dir: Path


def host_of(url: str) -> str:
    """The host name requests for ``url`` arrive with: lower case, without port or final dot."""
    try:
        host = (urlsplit(url.strip()).hostname or "").rstrip(".").lower()
    except ValueError:
        host = ""
    if not url.startswith(("http://", "https://")) or not _HOST.match(host):
        raise HubError(f"{url!r} is not an http(s) URL with a host name")
    return host


def normal_host(text: str) -> str:
    """A host name as typed (``Cube.Hub.Example``, or a whole URL) in the form routes use."""
    text = text.strip()
    if "://" in text:
        return host_of(text)
    return text.rstrip(".").lower()


def hub_file(hub_dir: Path) -> Path:
    return Path(hub_dir) / HUB_FILE


def init_hub(hub_dir: Path) -> Path:
    """Create an empty hub in ``hub_dir`` (made if missing, 0700); refuse an existing one."""
    hub_dir = Path(hub_dir)
    if hub_dir.exists() and not hub_dir.is_dir():
        raise HubError(f"{hub_dir} is not a directory: give a new path for the hub")
    if hub_file(hub_dir).exists():
        raise HubError(f"{hub_dir} already holds a hub; refusing to overwrite it")
    hub_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(hub_dir, 0o700)
    _write_entries(hub_dir, [])
    return hub_file(hub_dir)


def read_entries(hub_dir: Path) -> list[str]:
    """The data dirs ``hub.toml`` lists, as written there."""
    path = hub_file(hub_dir)
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HubError(f"{hub_dir} is not a hub: run `spazi hub init {hub_dir}` first") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise HubError(f"{path} is not valid TOML ({exc})") from None
    spaces = data.get("spaces", [])
    extra = sorted(set(data) - {"spaces"})
    if extra or not isinstance(spaces, list) or not all(isinstance(s, str) for s in spaces):
        raise HubError(f'{path} must hold only spaces = ["DATA_DIR", …]')
    return list(spaces)


def resolve(hub_dir: Path, entry: str) -> Path:
    """The data dir ``entry`` names, relative entries taken from the hub's directory."""
    path = Path(entry).expanduser()
    return (path if path.is_absolute() else Path(hub_dir) / path).resolve()


def describe(data_dir: Path) -> Hosted:
    """``data_dir`` as a hosted space: an initialised data dir whose ``url`` has a host name.

    Settings come from its ``spazi.toml`` only (no ``SPAZI_*`` variables): the hub's environment
    is every space's, and a variable would give them all one ``url`` or one ``secret_key``.
    """
    data_dir = Path(data_dir).expanduser().resolve()
    if not data_dir.is_dir():
        raise HubError(f"{data_dir} is not a directory: give a data dir made by `spazi init`")
    if not (data_dir / "spazi.toml").is_file():
        raise HubError(f"{data_dir} is not a node's data dir (no spazi.toml): run `spazi init`")
    try:
        settings = load_settings(str(data_dir), environ={})
    except SettingsError as exc:
        raise HubError(f"{data_dir}: {exc}") from None
    if not (data_dir / settings["key_file"]).is_file():
        raise HubError(f"{data_dir} is not a node's data dir (no key file): run `spazi init`")
    url = str(settings["url"] or "").rstrip("/")
    if not url:
        raise HubError(f"{data_dir} has no url setting: set it to the space's public address")
    try:
        host = host_of(url)
    except HubError as exc:
        raise HubError(f"{data_dir}: url {exc}") from None
    return Hosted(host, url, data_dir)


def hosted_spaces(hub_dir: Path) -> list[Hosted]:
    """Every space ``hub.toml`` lists; a data dir that is no space, or a host named twice,
    refuses the whole list (the hub does not guess which one was meant)."""
    spaces: list[Hosted] = []
    seen: dict[str, Hosted] = {}
    for entry in read_entries(hub_dir):
        space = describe(resolve(hub_dir, entry))
        if space.host in seen:
            raise HubError(
                f"{space.data_dir} and {seen[space.host].data_dir} both have host {space.host}: "
                "remove one from hub.toml"
            )
        seen[space.host] = space
        spaces.append(space)
    return spaces


def add_space(hub_dir: Path, data_dir: Path) -> Hosted:
    """Serve ``data_dir`` from the hub; refused when it is no space, is served already, or its
    host is another space's."""
    with _locked(hub_dir):
        current = hosted_spaces(hub_dir)
        space = describe(data_dir)
        for other in current:
            if other.data_dir == space.data_dir:
                raise HubError(f"{space.data_dir} is hosted already, at {other.host}")
            if other.host == space.host:
                raise HubError(
                    f"host {space.host} is already served by {other.data_dir}: "
                    "give this space another url"
                )
        entries = read_entries(hub_dir)
        entries.append(_entry_for(hub_dir, space.data_dir))
        _write_entries(hub_dir, entries)
    return space


def check_host_free(hub_dir: Path, host: str) -> None:
    """Refuse ``host`` when a hosted space has it (before a new space is made for it)."""
    for other in hosted_spaces(hub_dir):
        if other.host == host:
            raise HubError(f"host {host} is already served by {other.data_dir}")


def remove_space(hub_dir: Path, host: str) -> Hosted:
    """Stop serving the space at ``host``; its data dir is left as it is."""
    wanted = normal_host(host)
    with _locked(hub_dir):
        entries = read_entries(hub_dir)
        for entry in entries:
            try:
                space = describe(resolve(hub_dir, entry))
            except HubError:
                continue  # a broken entry is never the one named by a host
            if space.host == wanted:
                entries.remove(entry)
                _write_entries(hub_dir, entries)
                return space
    raise HubError(f"no space is hosted at {wanted}: `spazi hub list` shows the hosts")


def _entry_for(hub_dir: Path, data_dir: Path) -> str:
    """How ``hub.toml`` names ``data_dir``: relative inside the hub (the hub can move), else
    absolute."""
    base = Path(hub_dir).resolve()
    try:
        return str(data_dir.relative_to(base))
    except ValueError:
        return str(data_dir)


def _write_entries(hub_dir: Path, entries: list[str]) -> None:
    """Replace ``hub.toml`` at once (a reader sees the old list or the new one)."""
    # JSON string escapes are TOML basic-string escapes, ASCII-only output included.
    lines = ["# Data dirs of the spaces this hub serves (spazi hub add / remove).", "spaces = ["]
    lines += [f"    {json.dumps(entry)}," for entry in entries]
    lines.append("]")
    path = hub_file(hub_dir)
    partial = path.with_name(path.name + ".new")
    partial.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(partial, path)


@contextmanager
def _locked(hub_dir: Path) -> Iterator[None]:
    """One change of ``hub.toml`` at a time (two `hub add` at once would lose one)."""
    read_entries(hub_dir)  # refuse a directory that is no hub before making a lock file in it
    with open(Path(hub_dir) / ".hub.lock", "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
