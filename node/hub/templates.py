"""Compiled template code shared by the spaces of one hub (ARCHITECTURE.md §Hosting many spaces).

Each hosted space's Flask app has its own Jinja environment (its own globals, its own
``url_for``), and would compile every template it renders once more. The code a template compiles
to depends only on its source and on how the environment is configured, which ``create_app``
does alike for every space, so one compiled code object serves them all: each environment still
builds its own ``Template`` from it, with its own globals. The key holds the configuration that
reaches the compiler, so an environment configured differently never gets another's code.
"""

from __future__ import annotations

import threading
from types import CodeType
from typing import Any

from jinja2 import Environment
from jinja2.bccache import Bucket, BytecodeCache


def _compiler_signature(environment: Environment) -> tuple[Any, ...]:
    """What of ``environment`` changes the code a template compiles to."""
    return (
        type(environment),
        tuple(sorted(environment.filters)),
        tuple(sorted(environment.tests)),
        tuple(sorted(environment.extensions)),
        environment.optimized,
        environment.block_start_string,
        environment.block_end_string,
        environment.variable_start_string,
        environment.variable_end_string,
        environment.comment_start_string,
        environment.comment_end_string,
        environment.line_statement_prefix,
        environment.line_comment_prefix,
        environment.trim_blocks,
        environment.lstrip_blocks,
        environment.newline_sequence,
        environment.keep_trailing_newline,
        environment.finalize is not None,
        environment.is_async,
    )


class SharedTemplateCode(BytecodeCache):
    """An in-memory cache of compiled template code objects, keyed by template, source and the
    environment's compiler configuration (never written to disk)."""

    def __init__(self) -> None:
        self._code: dict[tuple[Any, ...], CodeType] = {}
        self._lock = threading.Lock()

    def _key(self, bucket: Bucket) -> tuple[Any, ...]:
        return (bucket.key, bucket.checksum, _compiler_signature(bucket.environment))

    def load_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            code = self._code.get(self._key(bucket))
        if code is not None:
            bucket.code = code

    def dump_bytecode(self, bucket: Bucket) -> None:
        if bucket.code is not None:
            with self._lock:
                self._code.setdefault(self._key(bucket), bucket.code)

    def clear(self) -> None:
        with self._lock:
            self._code.clear()

    def __len__(self) -> int:
        return len(self._code)
