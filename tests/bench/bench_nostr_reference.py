"""Reference figure: a Python Nostr relay's ingest rate, to read beside Spazi's sync ingest.

Run from the repository root: ``.venv/bin/python tests/bench/bench_nostr_reference.py
[--events 2000] [--window 50] [--cache-dir DIR] [--spazi-entries 20000]``

This is an optional reference bench, not a target: nothing here is a project dependency (the
pyproject is untouched). It creates a throw-away virtualenv (in a temporary directory, or under
``--cache-dir`` so later runs reuse it) and pip-installs the ``nostr-relay`` package from PyPI,
plus ``coincurve`` (BIP-340 Schnorr over secp256k1, to sign events) and ``websockets`` (the
client). If the relay cannot be installed the script says why in one line and exits 2.

What it does, in one run:

1. Writes a relay config with a temporary SQLite database (the relay's usual store) and starts
   ``nostr-relay serve --use-uvicorn`` (one process) on a free loopback port; waits until it
   answers a websocket.
2. Runs the client in the throw-away venv: one key, ``--events`` distinct kind-1 events, each
   id = sha256 of the NIP-01 serialisation ``[0, pubkey, created_at, kind, tags, content]``
   (checked against the relay's acceptance), signed with Schnorr. Over one websocket it
   publishes them twice over, with distinct contents each pass:

   - *one by one*: ``["EVENT", ev]`` then wait for its ``["OK", id, true, ...]``;
   - *pipelined*: up to ``--window`` events in flight, each ``OK`` checked.

   Events are signed before the clock starts, so the figures are the relay's ingest.
3. Prints events/s wall and per CPU second of the relay process (utime + stime from
   ``/proc/<pid>/stat``, read before and after each pass).
4. Checks the relay stored them: a ``REQ`` for the author's events counts 2 × ``--events``.
5. Prints how to read Spazi's figure beside it (``bench_sync_ingest.py``, not re-run here);
   with ``--spazi-entries N`` it runs ``bench_sync_ingest.py --entries N`` (20,000: about 15 s)
   and prints its ingest rate and the ratio. Never the 100,000-entry default.

The pipelined rate is the one reported as the relay's ingest rate (the one-by-one rate adds a
loopback round trip per event). Exit status 0 when every event was accepted and stored.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RELAY_PACKAGES = ["nostr-relay", "coincurve", "websockets"]

# The client, run by the throw-away venv's interpreter (coincurve and websockets live there).
CLIENT = r'''
import hashlib, json, sys, time
from coincurve import PrivateKey
from websockets.sync.client import connect

url, n, window, stat_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
key = PrivateKey()
pubkey = key.public_key_xonly.format().hex()


def cpu():
    """utime + stime of the relay process, in seconds (fields 14 and 15 of /proc/pid/stat)."""
    fields = open(stat_path).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


CLK = float(sys.argv[5])


def make(i, tag):
    created = int(time.time())
    content = f"reference event {tag} {i}"
    ser = json.dumps([0, pubkey, created, 1, [], content], separators=(",", ":"),
                     ensure_ascii=False)
    eid = hashlib.sha256(ser.encode()).hexdigest()
    sig = key.sign_schnorr(bytes.fromhex(eid)).hex()
    return {"id": eid, "pubkey": pubkey, "created_at": created, "kind": 1, "tags": [],
            "content": content, "sig": sig}


def expect_ok(ws, ids):
    msg = json.loads(ws.recv(timeout=30))
    if msg[0] != "OK" or msg[1] not in ids or msg[2] is not True:
        raise SystemExit(f"relay refused: {msg}")
    ids.discard(msg[1])


out = {}
with connect(url, max_size=None, open_timeout=10) as ws:
    for mode in ("serial", "pipelined"):
        events = [make(i, mode) for i in range(n)]
        c0, t0 = cpu(), time.perf_counter()
        if mode == "serial":
            for ev in events:
                ws.send(json.dumps(["EVENT", ev]))
                expect_ok(ws, {ev["id"]})
        else:
            pending = set()
            for ev in events:
                if len(pending) >= window:
                    expect_ok(ws, pending)
                ws.send(json.dumps(["EVENT", ev]))
                pending.add(ev["id"])
            while pending:
                expect_ok(ws, pending)
        wall, relay_cpu = time.perf_counter() - t0, cpu() - c0
        out[mode] = {"wall": wall, "cpu": relay_cpu}
    ws.send(json.dumps(["REQ", "count", {"authors": [pubkey], "limit": 10 * n}]))
    stored = 0
    while True:
        msg = json.loads(ws.recv(timeout=60))
        if msg[0] == "EOSE":
            break
        if msg[0] == "EVENT":
            stored += 1
    out["stored"] = stored
print(json.dumps(out))
'''

CONFIG = """\
DEBUG: false
relay_name: reference relay
storage:
  sqlalchemy.url: sqlite+aiosqlite:///{db}
  num_concurrent_reqs: 10
  num_concurrent_adds: 2
  validators:
    - nostr_relay.validators.is_not_too_large
    - nostr_relay.validators.is_signed
    - nostr_relay.validators.is_recent
    - nostr_relay.validators.is_not_hellthread
verification:
  nip05_verification: disabled
gunicorn:
  bind: 127.0.0.1:{port}
  workers: 1
  loglevel: warning
  reload: false
authentication:
  enabled: false
message_timeout: 1800
subscription_limit: 32
logging:
  version: 1
  disable_existing_loggers: false
  handlers:
    console:
      class: logging.StreamHandler
      stream: ext://sys.stderr
  loggers:
    nostr_relay:
      level: WARNING
      handlers: [console]
"""


def free_port() -> int:
    """A free loopback port (bound, read, released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def install(venv: Path) -> Path:
    """Create (or reuse) the throw-away venv with the relay; return its interpreter.

    Exits 2 with one line when the relay cannot be installed.
    """
    python = venv / "bin" / "python"
    if not (venv / "bin" / "nostr-relay").exists():
        try:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
            done = subprocess.run(
                [str(python), "-m", "pip", "install", "-q", *RELAY_PACKAGES],
                capture_output=True,
                text=True,
                timeout=600,
            )
        except (subprocess.SubprocessError, OSError) as exc:
            print(f"cannot install the relay: {exc}")
            sys.exit(2)
        if done.returncode != 0 or not (venv / "bin" / "nostr-relay").exists():
            lines = (done.stderr or done.stdout or "pip failed").strip().splitlines()
            errors = [line for line in lines if "ERROR" in line] or lines
            print(f"cannot install the relay: {errors[-1] if errors else 'no nostr-relay'}")
            sys.exit(2)
    return python


def wait_ready(proc: subprocess.Popen[bytes], port: int, timeout: float = 60.0) -> None:
    """Wait until the relay accepts TCP connections on ``port`` (uvicorn binds when ready)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"relay exited with status {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("relay did not answer within 60 s")


def spazi_rate(entries: int) -> float | None:
    """Run ``bench_sync_ingest.py --entries N`` with this interpreter; its 'ingest rate' line."""
    script = Path(__file__).with_name("bench_sync_ingest.py")
    done = subprocess.run(
        [sys.executable, str(script), "--entries", str(entries)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    for line in done.stdout.splitlines():
        if line.startswith("ingest rate:"):
            return float(line.split(":")[1].split()[0].replace(",", ""))
    return None


def main() -> int:
    """Run the reference bench; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--window", type=int, default=50)
    parser.add_argument("--cache-dir", type=Path, help="keep the relay venv here between runs")
    parser.add_argument(
        "--spazi-entries",
        type=int,
        default=0,
        help="also run bench_sync_ingest.py --entries N (about 15 s for 20000) and print the ratio",
    )
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="spazi-nostr-"))
    proc: subprocess.Popen[bytes] | None = None
    try:
        venv = (args.cache_dir / "nostr-relay-venv") if args.cache_dir else tmp / "venv"
        python = install(venv)
        version = subprocess.run(
            [str(python), "-m", "pip", "show", "nostr-relay"],
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
        version = next(
            (x.split()[-1] for x in version.splitlines() if x.startswith("Version")), "?"
        )
        port = free_port()
        config = tmp / "config.yaml"
        config.write_text(CONFIG.format(db=tmp / "nostr.sqlite3", port=port))
        # The child keeps its own copy of the descriptor; ours can close at once.
        with open(tmp / "relay.log", "wb") as log:
            proc = subprocess.Popen(
                [str(venv / "bin" / "nostr-relay"), "-c", str(config), "serve", "--use-uvicorn"],
                cwd=tmp,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_ready(proc, port)
        clk = os.sysconf("SC_CLK_TCK")
        done = subprocess.run(
            [
                str(python),
                "-c",
                CLIENT,
                f"ws://127.0.0.1:{port}/",
                str(args.events),
                str(args.window),
                f"/proc/{proc.pid}/stat",
                str(clk),
            ],
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if done.returncode != 0:
            print(f"client failed: {(done.stderr or done.stdout).strip().splitlines()[-1:]}")
            print((tmp / "relay.log").read_text()[-2000:])
            return 1
        out = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    n = args.events
    print(f"nostr-relay {version} (uvicorn, SQLite), one client, one websocket, {n} events a pass")
    for mode, label in (("serial", "one by one"), ("pipelined", f"window {args.window}")):
        wall, cpu = out[mode]["wall"], out[mode]["cpu"]
        per_cpu = f"{n / cpu:,.0f} events per relay CPU s" if cpu > 0 else "relay CPU not seen"
        print(f"  {label:>12}: {wall:6.2f} s, {n / wall:8,.0f} events/s wall, {per_cpu}")
    ok = out["stored"] == 2 * n
    print(
        f"  stored: REQ for the author counts {out['stored']} (expected {2 * n})",
        "ok" if ok else "MISMATCH",
    )
    print(
        "Spazi's figure, not re-measured here: `.venv/bin/python tests/bench/bench_sync_ingest.py`"
        " prints 'ingest rate' (entries/s, each an Ed25519-verified signed entry stored with its"
        " projection); its latest figures are in tests/bench/README.md. A Nostr event and a"
        " Spazi entry are both one signed record verified and stored, so the rates compare"
        " record for record (the relay's rate: the pipelined line)."
    )
    if args.spazi_entries:
        spazi = spazi_rate(args.spazi_entries)
        relay = n / out["pipelined"]["wall"]
        if spazi is None:
            print("bench_sync_ingest.py printed no ingest rate")
            return 1
        print(
            f"Spazi, bench_sync_ingest.py --entries {args.spazi_entries} run now:"
            f" {spazi:,.0f} entries/s; Spazi / relay = {spazi / relay:.1f}x"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
