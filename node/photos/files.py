"""Photo files on disk, by content hash: ``DATA_DIR/photos/ab/abcdef…`` (not blobs in the
database, so backups of the database stay small and files are served straight from disk).

A file is written under a temporary name and renamed into place, so a reader never sees half a
file; a hash names one content, so writing it twice is harmless.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from node.runtime import Node

_HASH = re.compile(r"[0-9a-f]{64}")


def photos_dir(node: Node) -> Path:
    """The directory of the node's photo files."""
    return node.data_dir / "photos"


def path_of(node: Node, digest: str) -> Path:
    """Where the file of ``digest`` lives (``ValueError`` for anything but a hex SHA-256)."""
    if _HASH.fullmatch(digest) is None:
        raise ValueError("a photo hash is 64 lowercase hex characters")
    return photos_dir(node) / digest[:2] / digest


def write(node: Node, digest: str, data: bytes) -> None:
    """Put ``data`` on disk as the file of ``digest`` (the caller checked the hash)."""
    target = path_of(node, digest)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read(node: Node, digest: str) -> bytes | None:
    """The bytes of ``digest``'s file, or None when it is not on disk."""
    try:
        return path_of(node, digest).read_bytes()
    except FileNotFoundError:
        return None


def remove(node: Node, digest: str) -> None:
    """Delete ``digest``'s file, if it is there."""
    path_of(node, digest).unlink(missing_ok=True)
