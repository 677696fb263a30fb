"""A node's backup as one archive, and putting it back (deploy/README.md §Backups).

The archive (tar.gz, mode 0600: it holds the node's private key) contains ``manifest.json``
(node id, schema revision, database kind, time taken), the data dir's ``spazi.toml``, the key
file and the retired keys of ``keys/``, and a consistent copy of the database taken while the
node runs and syncs: SQLite's online backup API (``database.sqlite``), or ``pg_dump``'s custom
format for PostgreSQL (``database.pgdump``).

A restore refuses a data dir that already holds another node (``--force`` replaces it), an
archive from a newer schema than this build, and a non-empty PostgreSQL target. After it, the
node must recover from its peers any of its own entries newer than the backup before it writes
(``spazi feed recover``, which ``spazi restore`` runs when peers answer): the node never
re-signs a seq a peer holds (protocol.md §Feeds, "Writing").
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from node import pgschema
from node.clock import utc_text, utcnow
from node.errors import Conflict, InvalidInput
from node.migrate import current_revision, known_revisions
from node.runtime import Node, key_path, open_node
from node.settings import write_setting

MANIFEST = "manifest.json"
FORMAT = 1
Say = Callable[[str], None]


@dataclass(frozen=True)
class Manifest:
    """What a backup archive says about itself."""

    node_id: str
    schema: str | None
    database: str  # "sqlite" or "postgresql"
    created: str
    key_file: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "node_id": self.node_id,
            "schema": self.schema,
            "database": self.database,
            "created": self.created,
            "key_file": self.key_file,
        }


def _libpq(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as the libpq URL pg_dump and pg_restore take."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def _run(argv: list[str], what: str) -> None:
    if shutil.which(argv[0]) is None:
        raise Conflict(f"{argv[0]} is not installed: install the PostgreSQL client tools ({what})")
    done = subprocess.run(argv, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1][:300]
        raise Conflict(f"{argv[0]} failed: {last}")


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), 0o600
    info.mtime = int(datetime.now(UTC).timestamp())
    tar.addfile(info, io.BytesIO(data))


def create_backup(node: Node, target: Path, say: Say) -> Manifest:
    """Write the backup archive of the running ``node`` to ``target`` (refused if it exists)."""
    url = str(node.db.engine.url.render_as_string(hide_password=False))
    kind = "postgresql" if node.db.engine.dialect.name == "postgresql" else "sqlite"
    data_dir = Path(node.settings["data_dir"])
    key = key_path(node.settings)
    manifest = Manifest(
        node_id=node.node_id,
        schema=current_revision(node.db.engine),
        database=kind,
        created=utc_text(utcnow()),
        key_file=key.name,
    )
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with tempfile.TemporaryDirectory() as scratch, os.fdopen(fd, "wb") as raw:
        copy = Path(scratch) / "database"
        if kind == "sqlite":
            say("copying the database (SQLite online backup)")
            source = sqlite3.connect(make_url(url).database or "")
            try:
                destination = sqlite3.connect(copy)
                with destination:
                    source.backup(destination, pages=1024)
                destination.close()
            finally:
                source.close()
        else:
            say("copying the database (pg_dump)")
            # A hosted space in its own schema of a shared database (node/pgschema.py): its
            # backup holds that schema alone, never the other spaces'.
            schema = pgschema.schema_of(url)
            only = [f"--schema={schema}"] if schema else []
            _run(
                ["pg_dump", "--format=custom", *only, f"--file={copy}", _libpq(url)],
                "spazi backup",
            )
        with tarfile.open(fileobj=raw, mode="w:gz") as tar:
            _add_bytes(tar, MANIFEST, json.dumps(manifest.as_dict(), indent=2).encode())
            say("adding the settings and keys")
            tar.add(data_dir / "spazi.toml", arcname="spazi.toml")
            tar.add(key, arcname=f"key/{key.name}")
            retired = data_dir / "keys"
            if retired.is_dir():
                for item in sorted(retired.iterdir()):
                    tar.add(item, arcname=f"keys/{item.name}")
            tar.add(copy, arcname="database.sqlite" if kind == "sqlite" else "database.pgdump")
            # After the database: every file a copied row names is already on disk (a photo
            # file is written before its row, ARCHITECTURE.md §Photos).
            photos = data_dir / "photos"
            if photos.is_dir():
                say("adding the photos")
                tar.add(photos, arcname="photos")
    return manifest


def read_manifest(archive: Path) -> Manifest:
    """The manifest of a backup archive; :class:`InvalidInput` if it is not one."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile(MANIFEST)
            doc = json.loads(member.read()) if member is not None else None
    except (OSError, tarfile.TarError, KeyError, ValueError) as exc:
        raise InvalidInput(f"{archive} is not a Spazi backup archive") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InvalidInput(f"{archive} is not a Spazi backup archive of this version")
    try:
        return Manifest(
            str(doc["node_id"]),
            doc.get("schema"),
            str(doc["database"]),
            str(doc["created"]),
            str(doc["key_file"]),
        )
    except KeyError as exc:
        raise InvalidInput(f"{archive}: the manifest lacks {exc}") from exc


def _holder(data_dir: Path) -> str | None:
    """The node id of the node already in ``data_dir``, if one is there.

    The node id is the did of the genesis key and survives rotation (node/runtime.py), so it is
    read from the node's feed; the key file in use names a rotated node by its new key.
    """
    from federation.keys import NodeKey

    key = data_dir / "node.key"
    if not key.exists():
        return None
    node = None
    url = make_url(_configured_url(data_dir) or "sqlite://")
    # SQLite would create an empty database file to answer; a missing one holds no feed.
    if not url.drivername.startswith("sqlite") or Path(url.database or "").exists():
        try:
            node = open_node(str(data_dir))
        except Exception:  # no readable database: the keys are all there is to go by
            node = None
    if node is not None:
        try:
            return node.node_id
        finally:
            node.close()
    try:
        return NodeKey.load(key).did
    except Exception:  # an unreadable key is another node for all we know
        return "an unreadable key"


def restore_backup(
    archive: Path, data_dir: Path, say: Say, force: bool = False, database_url: str | None = None
) -> Manifest:
    """Put the backup back into ``data_dir`` (and its database); the node is not started."""
    manifest = read_manifest(archive)
    if manifest.schema is not None and manifest.schema not in known_revisions():
        raise Conflict(
            f"the backup's schema {manifest.schema} is newer than this build: install the "
            "version that made it"
        )
    there = _holder(data_dir)
    if there is not None and there != manifest.node_id and not force:
        raise Conflict(
            f"{data_dir} holds another node ({there}); the backup is {manifest.node_id}. "
            "Restore elsewhere, or give --force to replace it"
        )
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch, tarfile.open(archive, "r:gz") as tar:
        tar.extractall(scratch, filter="data")
        unpacked = Path(scratch)
        say("restoring the settings and keys")
        shutil.copy2(unpacked / "spazi.toml", data_dir / "spazi.toml")
        shutil.copy2(unpacked / "key" / manifest.key_file, data_dir / manifest.key_file)
        os.chmod(data_dir / manifest.key_file, 0o600)
        if (unpacked / "keys").is_dir():
            (data_dir / "keys").mkdir(mode=0o700, exist_ok=True)
            for item in (unpacked / "keys").iterdir():
                shutil.copy2(item, data_dir / "keys" / item.name)
        if (unpacked / "photos").is_dir():
            say("restoring the photos")
            shutil.copytree(unpacked / "photos", data_dir / "photos", dirs_exist_ok=True)
        if manifest.database == "sqlite":
            say("restoring the database (SQLite)")
            target = data_dir / "spazi.db"
            for stale in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
                stale.unlink(missing_ok=True)
            shutil.copy2(unpacked / "database.sqlite", target)
        else:
            backed_up = _configured_url(data_dir)  # the archive's own spazi.toml
            url = database_url or backed_up
            if not url:
                raise InvalidInput("give --database-url: where to restore the PostgreSQL database")
            _check_restore_target(url, pgschema.schema_of(backed_up) if backed_up else None)
            if database_url and database_url != backed_up:
                write_setting(data_dir, "database_url", database_url)
            say("restoring the database (pg_restore)")
            _run(
                [
                    "pg_restore",
                    "--no-owner",
                    f"--dbname={_libpq(url)}",
                    str(unpacked / "database.pgdump"),
                ],
                "spazi restore",
            )
    return manifest


def _check_restore_target(url: str, dumped_schema: str | None) -> None:
    """Refuse a PostgreSQL target that holds tables, or a schema other than the one dumped
    (pg_restore recreates the dumped schema under its own name)."""
    schema = pgschema.schema_of(url)
    if schema != dumped_schema:
        wanted = f"options=-csearch_path={dumped_schema}" if dumped_schema else "no search path"
        raise Conflict(
            f"the backup holds schema {dumped_schema or 'public'}: give a --database-url with "
            f"{wanted}"
        )
    if schema is not None:
        if pgschema.tables_in(url):
            raise Conflict(f"schema {schema} is not empty: restore into an empty one")
        pgschema.drop_schema(url)  # empty: pg_restore creates it as the backup has it
        return
    engine = create_engine(url)
    try:
        if inspect(engine).get_table_names():
            raise Conflict("the target PostgreSQL database is not empty: restore into an empty one")
    finally:
        engine.dispose()


def _configured_url(data_dir: Path) -> str:
    from node.settings import load_settings

    return str(load_settings(str(data_dir)).get("database_url") or "")
