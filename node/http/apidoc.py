"""A registry of the JSON API's operations, turned into the OpenAPI 3 document.

Every API route is declared with :func:`operation`, which registers the Flask route and its
OpenAPI description (request body from the same marshmallow schema the handler validates with),
so the document cannot drift from the code. ``tests/node/test_openapi.py`` checks that every
``/api/v1`` rule appears in it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint
from marshmallow import Schema


@dataclass
class Operation:
    path: str  # OpenAPI path, e.g. /api/v1/resources/{resource_id}
    method: str
    summary: str
    admin: bool
    body: type[Schema] | None
    query: type[Schema] | None
    responses: dict[str, str] = field(default_factory=dict)


OPERATIONS: list[Operation] = []
# Endpoints of the public GET operations: what other sites may read (node/http/cors.py).
PUBLIC_READS: set[str] = set()


def _openapi_path(rule: str) -> str:
    out = rule
    while "<" in out:
        start, end = out.index("<"), out.index(">")
        name = out[start + 1 : end].split(":")[-1]
        out = out[:start] + "{" + name + "}" + out[end + 1 :]
    return out


def operation(
    bp: Blueprint,
    rule: str,
    method: str,
    summary: str,
    *,
    admin: bool = False,
    body: type[Schema] | None = None,
    query: type[Schema] | None = None,
    responses: dict[str, str] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``rule`` on ``bp`` and describe it for the OpenAPI document."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        prefix = bp.url_prefix or ""
        OPERATIONS.append(
            Operation(
                _openapi_path(prefix + rule),
                method.lower(),
                summary,
                admin,
                body,
                query,
                responses or {"200": "OK"},
            )
        )
        bp.add_url_rule(rule, view_func=func, methods=[method], endpoint=func.__name__)
        if method == "GET" and not admin:
            PUBLIC_READS.add(f"{bp.name}.{func.__name__}")
        return func

    return decorate


def build_spec(version: str) -> dict[str, Any]:
    """The OpenAPI 3.0 document of the API."""
    spec = APISpec(
        title="Spazi node API",
        version=version,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Public reads and admin writes of one Spazi node."},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    problem = {
        "description": "RFC 9457 problem",
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }
    spec.components.schema(
        "Problem",
        {
            "type": "object",
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "instance": {"type": "string"},
            },
        },
    )
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        item: dict[str, Any] = {
            "summary": op.summary,
            "responses": {code: {"description": text} for code, text in op.responses.items()},
        }
        if "201" in item["responses"]:
            item["responses"]["201"]["headers"] = {
                "Location": {
                    "description": "where the created object is read back",
                    "schema": {"type": "string", "format": "uri-reference"},
                }
            }
        item["responses"]["default"] = problem
        parameters = [
            {"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
            for name in _path_params(op.path)
        ]
        if op.query is not None:
            parameters.append({"in": "query", "schema": op.query})
        if parameters:
            item["parameters"] = parameters
        if op.body is not None:
            item["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": op.body}},
            }
        if op.admin:
            item["security"] = [{"bearer": []}]
        paths.setdefault(op.path, {})[op.method] = item
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _path_params(path: str) -> list[str]:
    names, rest = [], path
    while "{" in rest:
        start, end = rest.index("{"), rest.index("}")
        names.append(rest[start + 1 : end])
        rest = rest[end + 1 :]
    return names
