"""Each dialect's served surface as an OpenAPI 3.1 document, generated, never written by hand.

The paths and methods come from the dialect's own route table; a route its description does
not cover, or a description no route has, fails the build (and ``tests/unit``), so a new route
cannot be forgotten. Request and reply shapes come from pydantic wire models
(``model_json_schema``), the codes a route may answer from the dialect's one error table. A
dialect's ``openapi.py`` says only what its route table cannot: a summary per route, its
models, its credentials and where its codes come from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema
from starlette.routing import BaseRoute, Route

from chatpins import __version__

OPENAPI_VERSION = "3.1.0"
_REF = "#/components/schemas/{model}"
_PATH_PARAM = re.compile(r"{(\w+)(?::\w+)?}")
W = TypeVar("W")
D = TypeVar("D", bound="Wire")

Code = tuple[int | str, str]  # (vendor code, its message)
# Alternatives (any one will do), each naming security schemes and their scopes.
Security = Sequence[Mapping[str, Sequence[str]]]


@dataclass(frozen=True)
class Wire:
    """What one route takes and gives, beside its method and path."""

    summary: str
    _: KW_ONLY
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    reply: type[BaseModel] | None = None  # the whole body of a success
    notes: str = ""  # the operation's description: the dialect's choices for it


@dataclass(frozen=True)
class Answer:
    """A reply other than success: its HTTP status, its body and the vendor codes it carries.
    A ``200`` answer adds its codes to the success response (ZIM, Feishu's tokens)."""

    status: int
    summary: str
    model: type[BaseModel] | None = None
    codes: Sequence[Code] = ()


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # the path key: as a client sends it, with ``{param}`` templates
    operation_id: str
    tag: str
    wire: Wire
    security: Security = ()  # empty: no credentials
    answers: Sequence[Answer] = ()
    parameters: Sequence[Mapping[str, Any]] = ()  # besides the path's and the query model's
    extensions: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Description:
    """One dialect's document: its title and prose, its operations and credentials."""

    title: str
    summary: str
    operations: Sequence[Operation]
    security_schemes: Mapping[str, Any]
    parameters: Mapping[str, Any] = field(default_factory=dict)  # shared, by name


def http_routes(routes: Iterable[BaseRoute]) -> list[tuple[str, str, Callable[..., Any]]]:
    """(method, path, endpoint) of each route once: ``HEAD`` (Starlette's twin of every GET)
    and the trailing-slash twin a dialect adds for a vendor that accepts both are left out, and
    a path parameter's converter (``{id:int}``) too."""
    seen: dict[tuple[str, str], Callable[..., Any]] = {}
    for route in routes:
        if not isinstance(route, Route):
            continue
        path = _PATH_PARAM.sub(r"{\1}", route.path).rstrip("/") or "/"
        for method in sorted((route.methods or set()) - {"HEAD"}):
            seen.setdefault((method, path), route.endpoint)
    return [(method, path, endpoint) for (method, path), endpoint in seen.items()]


def route_operations(
    routes: Iterable[BaseRoute],
    table: Mapping[str, D],
    where: str,
    access: Callable[[D], tuple[Security, Sequence[Answer]]],
    prefix: str = "",
) -> list[Operation]:
    """One operation per route of a route table, in its order: ``table`` ("METHOD /path" ->
    the route's description) must cover the routes exactly; ``access`` gives a description's
    credentials and its answers besides success; ``prefix`` is the dialect's mount."""
    served = {f"{m} {p}": (m, p, e) for m, p, e in http_routes(routes)}
    operations = []
    for key, doc in covered(table, served, where).items():
        method, path, endpoint = served[key]
        security, answers = access(doc)
        operations.append(
            Operation(
                method,
                prefix + path,
                getattr(endpoint, "__name__", key),
                tag_of(endpoint),
                doc,
                security=security,
                answers=answers,
            )
        )
    return operations


def covered(table: Mapping[str, W], served: Iterable[str], where: str) -> dict[str, W]:
    """``table`` for exactly the ``served`` keys: one a route has and the table lacks, or one
    the table has and no route serves, is an error naming ``where`` the table is."""
    keys = list(served)
    missing = [k for k in keys if k not in table]
    stale = [k for k in table if k not in keys]
    if missing or stale:
        raise LookupError(f"{where}: routes without a description {missing}, stale {stale}")
    return {k: table[k] for k in keys}


def tag_of(endpoint: Callable[..., Any]) -> str:
    """The module a handler lives in (``pins``, ``rooms``, ``conversations``): the dialects
    group their handlers by resource already."""
    handler = getattr(endpoint, "__wrapped__", endpoint)
    return str(handler.__module__).rsplit(".", 1)[-1]


def build(description: Description) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``description``."""
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    for op in description.operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, schemas)
    tags = sorted({op.tag for op in description.operations})
    components: dict[str, Any] = {
        "schemas": schemas.resolve(),
        "securitySchemes": dict(description.security_schemes),
    }
    if description.parameters:
        components["parameters"] = dict(description.parameters)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": description.title,
            "version": __version__,
            "description": description.summary,
        },
        "servers": [{"url": "/", "description": "this chatpins server"}],
        "tags": [{"name": name} for name in tags],
        "paths": paths,
        "components": components,
    }


def _operation(op: Operation, schemas: _Schemas) -> dict[str, Any]:
    wire = op.wire
    parameters: list[Mapping[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PATH_PARAM.findall(op.path)
    ]
    if wire.query is not None:
        parameters.extend(_query_parameters(wire.query, schemas))
    parameters.extend(op.parameters)
    doc: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": wire.summary,
        "tags": [op.tag],
    }
    if wire.notes:
        doc["description"] = wire.notes
    if parameters:
        doc["parameters"] = parameters
    if wire.body is not None:
        doc["requestBody"] = {
            # A body whose every field is optional may be left out (``{}``, as the vendors do).
            "required": bool(wire.body.model_json_schema().get("required")),
            "content": {"application/json": {"schema": schemas.ref(wire.body, "validation")}},
        }
    doc["responses"] = _responses(op, schemas)
    doc["security"] = [{name: list(scopes) for name, scopes in s.items()} for s in op.security]
    doc.update(op.extensions)
    return doc


def _responses(op: Operation, schemas: _Schemas) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": "Success."}
    if op.wire.reply is not None:
        ok["content"] = {
            "application/json": {"schema": schemas.ref(op.wire.reply, "serialization")}
        }
    responses: dict[str, Any] = {"200": ok}
    for answer in sorted(op.answers, key=lambda a: a.status):
        if answer.status == 200:
            ok["description"] = f"Success, or {answer.summary}{_listing(answer.codes)}"
            ok["x-error-codes"] = _codes(answer.codes)
            continue
        response: dict[str, Any] = {"description": answer.summary + _listing(answer.codes)}
        if answer.model is not None:
            schema = schemas.ref(answer.model, "serialization")
            response["content"] = {"application/json": {"schema": schema}}
        if answer.codes:
            response["x-error-codes"] = _codes(answer.codes)
        responses[str(answer.status)] = response
    return responses


def _listing(codes: Sequence[Code]) -> str:
    if not codes:
        return "."
    return ":\n\n" + "\n".join(f"- `{code}` {message}" for code, message in _sorted(codes))


def _codes(codes: Sequence[Code]) -> list[dict[str, Any]]:
    return [{"code": code, "message": message} for code, message in _sorted(codes)]


def _sorted(codes: Sequence[Code]) -> list[Code]:
    return sorted(set(codes), key=lambda c: (str(type(c[0])), c[0], c[1]))


def _query_parameters(model: type[BaseModel], schemas: _Schemas) -> list[dict[str, Any]]:
    """A query model's fields, one parameter each (query models are flat)."""
    schema = model.model_json_schema(ref_template=_REF, mode="validation")
    schemas.merge(schema.pop("$defs", {}))
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        prop = _not_null({k: v for k, v in prop.items() if k != "title"})
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": name in required}
        if "description" in prop:
            parameter["description"] = prop.pop("description")
        parameter["schema"] = prop
        parameters.append(parameter)
    return parameters


def _not_null(prop: dict[str, Any]) -> dict[str, Any]:
    """A query value is text, never JSON ``null``: an optional field (``int | None = None``)
    is its one other type, absent when not given."""
    branches = prop.get("anyOf", [])
    others = [b for b in branches if b != {"type": "null"}]
    if len(branches) != 2 or len(others) != 1:
        return prop
    rest = {k: v for k, v in prop.items() if k != "anyOf" and not (k == "default" and v is None)}
    return {**others[0], **rest}


class _Schemas:
    """The models a document names, turned into ``components.schemas`` all at once, so a
    model used by several operations is one component."""

    def __init__(self) -> None:
        self._refs: list[tuple[tuple[type[BaseModel], JsonSchemaMode], dict[str, Any]]] = []
        self._extra: dict[str, Any] = {}

    def ref(self, model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, Any]:
        """A reference to ``model``, filled in by ``resolve``: pydantic names a model only
        once it has seen them all (``Model-Input`` and ``Model-Output`` when the modes
        differ)."""
        ref: dict[str, Any] = {}
        self._refs.append(((model, mode), ref))
        return ref

    def merge(self, defs: Mapping[str, Any]) -> None:
        self._extra.update(defs)

    def resolve(self) -> dict[str, Any]:
        wanted = list(dict.fromkeys(key for key, _ref in self._refs))
        names, top = models_json_schema(wanted, ref_template=_REF)
        for key, ref in self._refs:
            ref.update(names[key])
        return dict(sorted({**self._extra, **top.get("$defs", {})}.items()))
