"""gunicorn settings for a Spazi node: `gunicorn -c deploy/gunicorn.conf.py 'node:create_app()'`.

Threads rather than many processes: a node is I/O-bound (SQLite, peers) and a small box has little
memory. Scheduled jobs start in each worker but take a lease row first, so each runs once.
"""

import gc
import os

bind = os.environ.get("SPAZI_BIND", "127.0.0.1:8080")
workers = int(os.environ.get("SPAZI_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("SPAZI_THREADS", "4"))
timeout = 60
graceful_timeout = 30
# Request bodies are capped by the node (max_request_bytes) before parsing; also cap headers.
limit_request_field_size = 16384
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = "127.0.0.1"


def post_worker_init(worker: object) -> None:
    """Once a worker has loaded the app: keep the long-lived heap out of garbage collection."""
    del worker
    gc.collect()  # what is already garbage is freed, not frozen
    gc.freeze()


def child_exit(server: object, worker: object) -> None:
    """With PROMETHEUS_MULTIPROC_DIR set (several workers, one /metrics): forget a dead worker's
    live gauges, as prometheus-client's multiprocess mode asks (deploy/README.md §Metrics)."""
    del server
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
