"""Creating a node's data dir: settings, key, database and the first profile entry."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from federation.keys import NodeKey
from node.db import Database
from node.migrate import upgrade
from node.runtime import Clock, open_node
from node.services.space import update_profile
from node.settings import load_settings, render_toml


class AlreadyInitialised(FileExistsError):
    """The data dir already holds a node."""


def init_node(
    data_dir: str | os.PathLike[str],
    name: str,
    url: str,
    *,
    timezone: str = "UTC",
    profile: dict[str, Any] | None = None,
    settings: dict[str, Any] | None = None,
    key: NodeKey | None = None,
    clock: Clock | None = None,
) -> str:
    """Create a node in ``data_dir`` and return its node id.

    Refuses to touch a data dir that already holds a node. If anything fails half-way, what was
    created is removed again so the next attempt starts clean.
    """
    directory = Path(data_dir)
    if (directory / "spazi.toml").exists() or (directory / "node.key").exists():
        raise AlreadyInitialised(f"{directory} already holds a node; refusing to overwrite it")
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    values: dict[str, Any] = {"url": url.rstrip("/"), "secret_key": secrets.token_urlsafe(32)}
    values.update(settings or {})
    created: list[Path] = []
    try:
        toml_path = directory / "spazi.toml"
        # 0600 from the start: the file holds the session secret.
        fd = os.open(toml_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        created.append(toml_path)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(render_toml(values))
        loaded = load_settings(directory, environ={})
        node_key = key or NodeKey.generate()
        key_file = directory / loaded["key_file"]
        node_key.save(key_file)
        created.append(key_file)
        db = Database(loaded["database_url"])
        try:
            upgrade(db.engine)
        finally:
            db.dispose()
        for suffix in ("", "-wal", "-shm"):
            path = directory / f"spazi.db{suffix}"
            if path.exists():
                created.append(path)
                os.chmod(path, 0o600)  # members' names and emails live here
        node = open_node(str(directory), environ={}, clock=clock, key=node_key)
        try:
            with node.db.write() as session:
                first = {"name": name, "timezone": timezone, **(profile or {})}
                update_profile(session, node, first)
        finally:
            node.close()
    except BaseException:
        for path in created:
            path.unlink(missing_ok=True)
        raise
    return node_key.did
