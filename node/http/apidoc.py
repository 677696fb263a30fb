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

from node.http.responses import RESPONSES


@dataclass
class Operation:
    path: str  # OpenAPI path, e.g. /api/v1/resources/{resource_id}
    rule: str  # the Flask rule, e.g. /api/v1/members/<int:member_id>
    method: str
    summary: str
    admin: bool
    body: type[Schema] | None
    query: type[Schema] | None
    responses: dict[str, str] = field(default_factory=dict)
    returns: str | None = None  # the success body's component (node/http/responses.py)
    body_optional: bool = False  # the view reads it with ``optional_json_body``


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
    returns: str | None = None,
    body_optional: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``rule`` on ``bp`` and describe it for the OpenAPI document; ``returns`` names
    the success body's schema in node/http/responses.py (none for a 204). ``body_optional``:
    the body's fields are all optional and the view takes a request without one
    (``optional_json_body``), so the document must not call it required."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        prefix = bp.url_prefix or ""
        OPERATIONS.append(
            Operation(
                _openapi_path(prefix + rule),
                prefix + rule,
                method.lower(),
                summary,
                admin,
                body,
                query,
                responses or {"200": "OK"},
                returns,
                body_optional,
            )
        )
        bp.add_url_rule(rule, view_func=func, methods=[method], endpoint=func.__name__)
        if method == "GET" and not admin:
            PUBLIC_READS.add(f"{bp.name}.{func.__name__}")
        return func

    return decorate


# What the node's own field types and validators accept, for the fields whose rules a generic
# schema converter cannot see (node/schemas.py): so the document says exactly what is refused.
ONE_LINE = "^[^\\u0000-\\u001f\\u007f-\\u009f\\ufffe\\uffff]*$"
MULTI_LINE = "^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\ufffe\\uffff]*$"
LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HTTP_URL = f"^https?://{LABEL}(?:\\.{LABEL})*(?::[0-9]{{1,5}})?(?:[/?#][^\\s]*)?$"
LOCAL_TIME = (
    "^[0-9]{3}[1-9]-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]$"
)
PRICE_FIELDS = {"Resource": ("price_hour_minor", "price_day_minor"), "Event": ("price_minor",)}


def _field_rules(self: Any, field: Any, ret: dict[str, Any], **_: Any) -> dict[str, Any]:
    """apispec attribute function: the rules of node.schemas' fields and validators."""
    from federation.schema import ZONES
    from node import schemas

    extra: dict[str, Any] = {}
    for validator in getattr(field, "validators", ()):
        if validator is schemas._timezone:
            extra["enum"] = sorted(ZONES)
        elif validator is schemas._local_datetime:
            extra["pattern"] = LOCAL_TIME
        elif validator is schemas._node_id:
            extra["pattern"] = "^did:key:z6Mk[1-9A-HJ-NP-Za-km-z]{44}$"
        elif validator is schemas.URL:
            # http(s) only; no "uri" format, which would refuse the non-ASCII paths the node
            # takes (an IRI such as https://example.org/caffè).
            extra["pattern"] = HTTP_URL
    if isinstance(field, schemas.Line) and "pattern" not in ret and "pattern" not in extra:
        extra["pattern"] = MULTI_LINE if isinstance(field, schemas.Lines) else ONE_LINE
    return extra


def _price_needs_currency(components: dict[str, Any]) -> None:
    """A price (any price field holding an amount) needs a currency: the rule the schemas check
    (node/schemas.py), said in the request schemas of creations."""
    for name, prices in PRICE_FIELDS.items():
        schema = components.get(name)
        if schema is None:
            continue
        priced = [{"required": [p], "properties": {p: {"type": "integer"}}} for p in prices]
        schema["anyOf"] = [
            {"required": ["currency"], "properties": {"currency": {"type": "string"}}},
            {"not": {"anyOf": priced}},
        ]


def _schema_name(schema: Any) -> str:
    """``ResourceSchema`` → ``Resource``; its partial form (a PATCH body) → ``ResourceChange``."""
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema")
    return name + "Change" if getattr(schema, "partial", False) else name


def build_spec(version: str) -> dict[str, Any]:
    """The OpenAPI 3.0 document of the API."""
    plugin = MarshmallowPlugin(schema_name_resolver=_schema_name)
    spec = APISpec(
        title="Spazi node API",
        version=version,
        openapi_version="3.0.3",
        plugins=[plugin],
        info={"description": "Public reads and admin writes of one Spazi node."},
    )
    assert plugin.converter is not None
    plugin.converter.add_attribute_function(_field_rules)
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
    for name, schema in RESPONSES.items():
        spec.components.schema(name, schema)
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        item: dict[str, Any] = {
            "summary": op.summary,
            "responses": {code: {"description": text} for code, text in op.responses.items()},
        }
        if op.returns is not None:
            success = next(code for code in item["responses"] if code.startswith("2"))
            item["responses"][success]["content"] = {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{op.returns}"}}
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
            {"in": "path", "name": name, "required": True, "schema": _path_schema(kind)}
            for name, kind in _path_params(op.path, op.rule)
        ]
        if op.query is not None:
            parameters.append({"in": "query", "schema": op.query})
        if parameters:
            item["parameters"] = parameters
        if op.body is not None:
            # A change names only what changes: nothing is required in it.
            body: Any = op.body(partial=True) if op.method == "patch" else op.body
            item["requestBody"] = {
                "required": not op.body_optional,
                "content": {"application/json": {"schema": body}},
            }
        if op.admin:
            item["security"] = [{"bearer": []}]
        paths.setdefault(op.path, {})[op.method] = item
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    _price_needs_currency(document.get("components", {}).get("schemas", {}))
    _null_means_null(document)
    return document


def _null_means_null(node: Any) -> None:
    """apispec writes a nullable nested object as ``anyOf: [$ref, {nullable object}]``, whose
    second branch admits any object; it is meant to admit ``null`` only."""
    if isinstance(node, dict):
        for branch in node.get("anyOf", ()):
            if branch == {"nullable": True, "type": "object"}:
                branch["enum"] = [None]
        for value in node.values():
            _null_means_null(value)
    elif isinstance(node, list):
        for value in node:
            _null_means_null(value)


def _path_schema(kind: str) -> dict[str, Any]:
    if kind == "integer":  # a database key: a positive 32-bit number
        return {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    return {"type": "string"}


def _path_params(path: str, rule: str) -> list[tuple[str, str]]:
    """(name, JSON type) of each path parameter; ``<int:…>`` converters are integers."""
    kinds = {
        part.split(":")[-1]: ("integer" if part.startswith("int:") else "string")
        for part in (piece.split(">")[0] for piece in rule.split("<")[1:])
    }
    names, rest = [], path
    while "{" in rest:
        start, end = rest.index("{"), rest.index("}")
        names.append(rest[start + 1 : end])
        rest = rest[end + 1 :]
    return [(name, kinds.get(name, "string")) for name in names]
