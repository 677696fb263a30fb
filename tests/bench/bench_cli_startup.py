"""Benchmark: how long ``spazi`` takes to start, beside a bare ``python -c pass``.

Run from the repository root: ``.venv/bin/python tests/bench/bench_cli_startup.py [--runs 9]``

What it does, in one run: ``spazi init`` a node in a temporary data dir, then runs each command
below ``--runs`` times as its own process (as an admin's shell would) and prints the median wall
time of each (and CPU time), with its ratio to ``python -c pass`` measured in the same run:

- ``spazi --version`` and ``spazi --help`` (target: under 0.2 s): no command module needs the
  database or web code (node/lazy.py);
- simple commands on the node: ``settings``, ``db status``, ``event list``, ``member list``,
  ``peer list`` (target: under 0.5 s): lists and shows are ``reads_only`` and skip the registry
  check (node/cli/main.py), the services import marshmallow only to validate, and the console
  script keeps the garbage collector off during start-up.

Exit status 0 when both targets are met. The file name does not match ``test_*.py``: pytest
never collects it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a plain script

from tests.bench.common import say, target_line

QUICK_TARGET_S = 0.2
SIMPLE_TARGET_S = 0.5
QUICK = (["--version"], ["--help"])
SIMPLE = (["settings"], ["db", "status"], ["event", "list"], ["member", "list"], ["peer", "list"])


def timed(argv: list[str], runs: int, env: dict[str, str]) -> tuple[float, float]:
    """Median wall and CPU time of ``argv`` as a fresh process, in seconds (CPU through
    ``wait4``: a shared machine moves the wall time more); it must succeed."""
    walls, cpus = [], []
    for _ in range(runs):
        with tempfile.TemporaryFile() as err:
            started = time.perf_counter()
            child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, env=env)
            _, status, usage = os.wait4(child.pid, 0)
            walls.append(time.perf_counter() - started)
            cpus.append(usage.ru_utime + usage.ru_stime)
            if os.waitstatus_to_exitcode(status) != 0:
                err.seek(0)
                raise SystemExit(f"{' '.join(argv)} failed: {err.read().decode()[-300:]}")
    return statistics.median(walls), statistics.median(cpus)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    spazi = str(Path(sys.executable).with_name("spazi"))
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "node"
        # As on an admin's machine, Python caches compiled modules: a shell or CI that sets
        # PYTHONDONTWRITEBYTECODE would measure compiling the node's code on every start.
        env = {**os.environ, "SPAZI_DATA_DIR": str(data)}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run(
            [spazi, "init", str(data), "--name", "Bench", "--url", "http://127.0.0.1:8080"],
            check=True,
            capture_output=True,
            env=env,
        )
        for argv in QUICK + SIMPLE:  # one untimed run each writes the bytecode caches
            timed([spazi, *argv], 1, env)
        bare, bare_cpu = timed([sys.executable, "-c", "pass"], args.runs, env)
        say(f"python -c pass: {bare * 1000:.0f} ms wall, {bare_cpu * 1000:.0f} ms CPU")
        figures = {" ".join(argv): timed([spazi, *argv], args.runs, env) for argv in QUICK + SIMPLE}
    quick_met = all(figures[" ".join(argv)][0] < QUICK_TARGET_S for argv in QUICK)
    simple_met = all(figures[" ".join(argv)][0] < SIMPLE_TARGET_S for argv in SIMPLE)
    for command, (seconds, cpu) in figures.items():
        say(f"spazi {command}: {seconds * 1000:.0f} ms wall ({seconds / bare:.1f}× python -c pass),"
            f" {cpu * 1000:.0f} ms CPU")  # fmt: skip
    say(target_line(f"--version and --help under {QUICK_TARGET_S:g} s", quick_met))
    say(target_line(f"simple commands under {SIMPLE_TARGET_S:g} s", simple_met))
    return 0 if quick_met and simple_met else 1


if __name__ == "__main__":
    sys.exit(main())
