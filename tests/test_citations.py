"""Comments and docs cite only what a clone of the repository holds.

A design document that never was in the repository used to be cited by its name in capitals,
with ``.md`` or a section sign; such a citation cannot be followed, so it is refused in every
tracked text file. Cite ``protocol.md`` §Section, ``README.md``, ``deploy/README.md`` or
``ARCHITECTURE.md`` §section, or give the reason inline.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Spelled indirectly so that neither this file nor a grep for the name finds it here.
_DOC = "design".upper()
FORBIDDEN = (_DOC + ".md", _DOC + " §")


def tracked_files(root: Path) -> list[Path]:
    """Every file git tracks under ``root``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True, timeout=60
    ).stdout
    return [root / name for name in listed.decode("utf-8").split("\0") if name]


def citations_of_missing_docs(paths: list[Path], root: Path) -> list[str]:
    """``path:line: text`` (``path`` relative to ``root``) for each line of a text file that
    cites the missing design document; binary files and files that are not UTF-8 are skipped."""
    found = []
    for path in paths:
        try:
            data = path.read_bytes()
        except FileNotFoundError:  # deleted in the work tree, not yet in the index
            continue
        if b"\0" in data:
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if any(phrase in line for phrase in FORBIDDEN):
                found.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    return found


@pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(), reason="not a git checkout"
)
def test_no_tracked_file_cites_the_missing_design_document() -> None:
    paths = tracked_files(ROOT)
    assert ROOT / "protocol.md" in paths
    found = citations_of_missing_docs(paths, ROOT)
    assert not found, (
        "cite protocol.md, README.md, deploy/README.md or ARCHITECTURE.md instead:\n"
        + "\n".join(found)
    )


def test_the_scan_finds_both_spellings(tmp_path: Path) -> None:
    cited = tmp_path / "cited.py"
    cited.write_text(f"# see {_DOC} §3.2\n# fine\n# as in {_DOC}.md\n", encoding="utf-8")
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\0" + f"{_DOC} §1".encode())
    found = [
        line.split(": ", 1)[0] for line in citations_of_missing_docs([cited, binary], tmp_path)
    ]
    assert found == ["cited.py:1", "cited.py:3"]
