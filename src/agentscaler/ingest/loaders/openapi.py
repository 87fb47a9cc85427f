"""OpenAPI 3 specifications (JSON or YAML): one tool per operation.

* name: the ``operationId``, else ``<method> <path>`` (made valid: ``get_pets_petId``);
  description: ``summary`` and ``description``.
* parameters: the path and query parameters (path-level ones included, operation-level ones
  override them; header and cookie parameters are transport details and left out), then the
  request body: the properties of an object body are added beside them (its required names
  too), any other body becomes one ``body`` parameter (also when a property name clashes).
* returns: the JSON schema of the first success response (``200``, ``201``, other ``2xx``,
  ``2XX``, then ``default``), or None.
* ``$ref`` anywhere in the spec (``#/components/schemas``, ``parameters``, ``requestBodies``,
  ``responses``) is resolved in the spec; cycles are cut as in :mod:`agentscaler.ingest.normalize`.
* tags: ``kind:read`` for GET/HEAD/OPTIONS, ``kind:write`` for the other methods, and a
  ``category:<tag>`` per operation tag.
* service: the spec (``openapi:<file>``).

A broken operation is rejected alone; the others import. Reject fields are relative to the
operation; a path-level parameter is written ``/../parameters/<i>`` (its path item's list).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from agentscaler.errors import RecordRejected
from agentscaler.ingest.config import IngestConfig
from agentscaler.ingest.loaders.base import Item, RawTool, from_error, reject
from agentscaler.ingest.normalize import normalize_description, normalize_schema
from agentscaler.ingest.reading import Document
from agentscaler.ingest.refs import PointerError, join, resolve
from agentscaler.ingest.rejects import RejectReason, rejected
from agentscaler.ingest.schema_walker import kind_of
from agentscaler.ingest.services import file_service

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_READ_METHODS = frozenset({"get", "head", "options"})
_PARAMETER_PLACES = ("path", "query")
_SUCCESS = ("200", "201", "202", "203", "206")


def load(document: Document, config: IngestConfig) -> Iterator[Item]:
    spec = document.value
    paths = spec.get("paths") if isinstance(spec, dict) else None
    if not isinstance(paths, dict):
        yield reject(
            document,
            None,
            "/paths",
            RejectReason.NOT_A_TOOL,
            "an OpenAPI 3 document needs a 'paths' object listing the operations",
        )
        return
    service = file_service("openapi", document.source)
    index = 0
    for path, item in paths.items():
        item_pointer = join("/paths", path)
        try:
            item = _deref(spec, item, "")
            if not isinstance(item, dict):
                raise rejected(
                    RejectReason.NOT_A_TOOL,
                    "",
                    f"a path item must be an object, got {kind_of(item)}",
                )
        except RecordRejected as error:
            yield from_error(document, index, item_pointer, error)
            index += 1
            continue
        for method in METHODS:
            if method not in item:
                continue
            pointer = join(item_pointer, method)
            operation = _operation(document, spec, index, pointer, path, method, item, config)
            if isinstance(operation, RawTool):
                operation = replace(operation, service=service)
            yield operation
            index += 1


def _operation(
    document: Document,
    spec: dict[str, Any],
    index: int,
    pointer: str,
    path: str,
    method: str,
    item: dict[str, Any],
    config: IngestConfig,
) -> Item:
    operation = item[method]
    if not isinstance(operation, dict):
        return reject(
            document,
            index,
            pointer,
            RejectReason.NOT_A_TOOL,
            f"an operation must be an object, got {kind_of(operation)}",
        )
    operation_id = operation.get("operationId")
    name = (
        operation_id
        if isinstance(operation_id, str) and operation_id.strip()
        else f"{method} {path}"
    )
    try:
        description = _description(operation)
        properties: dict[str, Any] = {}
        required: list[str] = []
        _parameters(spec, item, operation, properties, required, config)
        _request_body(spec, operation, properties, required, config)
        returns = _returns(spec, operation, config)
    except RecordRejected as error:
        return from_error(document, index, pointer, error, tool=name)
    tags = ["kind:read" if method in _READ_METHODS else "kind:write"]
    if isinstance(operation.get("tags"), list):
        tags.extend(
            f"category:{t.strip()}" for t in operation["tags"] if isinstance(t, str) and t.strip()
        )
    return RawTool(
        source=document.source,
        index=index,
        pointer=pointer,
        dialect="openapi",
        name=name,
        description=description,
        parameters={"type": "object", "properties": properties, "required": required},
        returns=returns,
        name_field="/operationId",
        parameters_field="/parameters",
        returns_field="/responses",
        tags=tuple(dict.fromkeys(tags)),
    )


def _deref(spec: dict[str, Any], value: Any, field: str) -> Any:
    """Follow ``$ref`` chains of spec objects (parameters, bodies, responses)."""
    seen: set[str] = set()
    while isinstance(value, dict) and isinstance(value.get("$ref"), str):
        ref = value["$ref"]
        if ref in seen or not ref.startswith("#"):
            problem = (
                "a reference cycle" if ref in seen else "an external reference (not supported)"
            )
            raise rejected(
                RejectReason.UNRESOLVED_REF, join(field, "$ref"), f"$ref {ref!r} is {problem}"
            )
        seen.add(ref)
        try:
            value = resolve(spec, ref[1:])
        except PointerError as exc:
            raise rejected(
                RejectReason.UNRESOLVED_REF,
                join(field, "$ref"),
                f"$ref {ref!r} points nowhere ({exc})",
            ) from None
    return value


def _description(operation: dict[str, Any]) -> str:
    summary = normalize_description(operation.get("summary"), "/summary")
    details = normalize_description(operation.get("description"), "/description")
    if summary and details and not details.startswith(summary):
        return f"{summary}\n\n{details}"
    return details or summary


def _parameters(
    spec: dict[str, Any],
    item: dict[str, Any],
    operation: dict[str, Any],
    properties: dict[str, Any],
    required: list[str],
    config: IngestConfig,
) -> None:
    chosen: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
    for owner, prefix in ((item, "/../parameters"), (operation, "/parameters")):
        values = owner.get("parameters", [])
        if not isinstance(values, list):
            raise rejected(
                RejectReason.INVALID_FIELD,
                prefix,
                f"parameters must be a list, got {kind_of(values)}",
            )
        for i, value in enumerate(values):
            field = join(prefix, i)
            parameter = _deref(spec, value, field)
            if not isinstance(parameter, dict) or not isinstance(parameter.get("name"), str):
                raise rejected(
                    RejectReason.INVALID_FIELD, field, "a parameter needs a 'name' and an 'in'"
                )
            chosen[(parameter["name"], str(parameter.get("in")))] = (field, parameter)
    for (name, place), (field, parameter) in chosen.items():
        if place not in _PARAMETER_PLACES:
            continue
        raw = parameter.get("schema")
        where = join(field, "schema")
        if raw is None and isinstance(parameter.get("content"), dict):
            raw, where = _media_schema(parameter["content"], join(field, "content"))
        schema = normalize_schema(
            raw if raw is not None else {}, field=where, root=spec, config=config
        )
        text = normalize_description(parameter.get("description"), join(field, "description"))
        if text and "description" not in schema:
            schema["description"] = text
        properties[name] = schema
        if place == "path" or parameter.get("required") is True:
            required.append(name)


def _media_schema(content: dict[str, Any], field: str) -> tuple[Any, str]:
    """The schema of the preferred media type: JSON first, then forms, then the first one."""
    types = [t for t in content if isinstance(content[t], dict)]
    ordered = sorted(
        types,
        key=lambda t: (
            0 if t == "application/json" else 1 if "json" in t else 2 if "form" in t else 3
        ),
    )
    for media in ordered:
        if "schema" in content[media]:
            return content[media]["schema"], join(field, media, "schema")
    return None, field


def _request_body(
    spec: dict[str, Any],
    operation: dict[str, Any],
    properties: dict[str, Any],
    required: list[str],
    config: IngestConfig,
) -> None:
    if "requestBody" not in operation:
        return
    body = _deref(spec, operation["requestBody"], "/requestBody")
    if not isinstance(body, dict) or not isinstance(body.get("content"), dict):
        raise rejected(
            RejectReason.INVALID_FIELD, "/requestBody", "requestBody needs a 'content' object"
        )
    raw, where = _media_schema(body["content"], "/requestBody/content")
    if raw is None:
        return
    schema = normalize_schema(raw, field=where, root=spec, config=config)
    body_properties = schema.get("properties")
    if (
        schema.get("type") == "object"
        and body_properties
        and not body_properties.keys() & properties.keys()
    ):
        properties.update(body_properties)
        required.extend(schema.get("required", ()))
        return
    text = normalize_description(body.get("description"), "/requestBody/description")
    if text and "description" not in schema:
        schema["description"] = text
    name = "body" if "body" not in properties else "request_body"
    properties[name] = schema
    if body.get("required") is True:
        required.append(name)


def _returns(
    spec: dict[str, Any], operation: dict[str, Any], config: IngestConfig
) -> dict[str, Any] | None:
    responses = operation.get("responses")
    if not isinstance(responses, dict):
        return None
    codes = [c for c in _SUCCESS if c in responses]
    codes += sorted(c for c in responses if c.startswith("2") and c not in codes)
    codes += [c for c in ("default",) if c in responses]
    for code in codes:
        field = join("/responses", code)
        response = _deref(spec, responses[code], field)
        if not isinstance(response, dict) or not isinstance(response.get("content"), dict):
            continue
        raw, where = _media_schema(response["content"], join(field, "content"))
        if raw is None:
            continue
        schema = normalize_schema(raw, field=where, root=spec, config=config)
        text = normalize_description(response.get("description"), join(field, "description"))
        if text and "description" not in schema:
            schema["description"] = text
        return schema
    return None
