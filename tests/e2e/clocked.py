"""Run the ``spazi`` command with a wall clock the test sets: ``time.time()`` is the machine's
time plus the offset in seconds written in the file ``SPAZI_TEST_CLOCK_FILE`` (read on each
call, so a running node moves when the test moves the clock). Nothing else changes: real
processes, real HTTP, real databases; the node reads its clock from ``time.time`` (node/runtime.py),
as it would on a machine whose clock says another date.

    python -m tests.e2e.clocked --data-dir DIR run ...
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

CLOCK_ENV = "SPAZI_TEST_CLOCK_FILE"
MODULE = "tests.e2e.clocked"
_real_time = time.time


def _offset() -> float:
    try:
        return float(Path(os.environ[CLOCK_ENV]).read_text(encoding="ascii").strip() or 0)
    except (OSError, ValueError):  # being rewritten this instant: the machine's time
        return 0.0


def _shifted_time() -> float:
    return _real_time() + _offset()


def set_clock(clock_file: Path, when: float) -> None:
    """Make every clocked process read ``when`` (Unix seconds) now, and tick from there."""
    staged = clock_file.with_suffix(".new")
    staged.write_text(f"{when - _real_time():.3f}", encoding="ascii")
    staged.replace(clock_file)  # atomic: a reader sees the old offset or the new one


if __name__ == "__main__":
    time.time = _shifted_time  # before the node's modules capture it
    from node.cli.main import main

    sys.exit(main(sys.argv[1:]))
