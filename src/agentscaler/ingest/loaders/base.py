"""What a loader produces: one :class:`RawTool` per tool found, as written, or a reject."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from agentscaler.errors import RecordRejected
from agentscaler.ingest.config import IngestConfig
from agentscaler.ingest.normalize import SELF
from agentscaler.ingest.reading import Document
from agentscaler.ingest.refs import join
from agentscaler.ingest.rejects import Reject, RejectReason
from agentscaler.ingest.schema_walker import kind_of
from agentscaler.records.tool import Dialect, Provenance


@dataclass(frozen=True)
class RawTool:
    """One tool as found in a file, before normalization.

    Field paths (``*_field``) are JSON pointers relative to the tool, naming the fields as the
    dialect calls them (``/inputSchema``, ``/api_description``) so rejects point at the real field.
    """

    source: str
    index: int | None
    pointer: str
    dialect: Dialect
    name: Any
    description: Any = None
    parameters: Any = None
    returns: Any = None
    name_field: str = "/name"
    description_field: str = "/description"
    parameters_field: str = "/parameters"
    returns_field: str = "/returns"
    properties_map: bool = False
    """Parameters and returns are bare ``{name: schema}`` maps (Seal-Tools)."""
    required: Any = None
    """Required names given beside a properties map."""
    required_field: str = "/required"
    ref_root: Any = SELF
    """Document ``$ref`` pointers are resolved in (OpenAPI: the spec); SELF: each schema."""
    tags: tuple[str, ...] = ()
    provenance: tuple[Provenance, ...] = ()
    """Provenance kept from the input (built-in catalog, pools); empty: made from the fields."""
    service: str | None = None
    """The service the tool belongs to (:mod:`agentscaler.ingest.services`); None: loose."""

    def original_name(self) -> str:
        return self.name if isinstance(self.name, str) else ""


Item = RawTool | Reject
Loader = Callable[[Document, IngestConfig], Iterator[Item]]


def reject(
    document: Document,
    index: int | None,
    pointer: str,
    reason: RejectReason,
    message: str,
    *,
    field: str = "",
    tool: Any = None,
) -> Reject:
    return Reject(
        source=document.source,
        index=index,
        pointer=pointer,
        tool=tool if isinstance(tool, str) else None,
        field=field,
        reason=reason,
        message=message,
    )


def from_error(
    document: Document, index: int | None, pointer: str, error: RecordRejected, tool: Any = None
) -> Reject:
    return reject(
        document,
        index,
        pointer,
        RejectReason(error.reason),
        str(error),
        field=error.field,
        tool=tool,
    )


def not_a_tool(
    document: Document, index: int | None, pointer: str, value: Any, expected: str
) -> Reject:
    tool = value.get("name") if isinstance(value, dict) else None
    return reject(
        document,
        index,
        pointer,
        RejectReason.NOT_A_TOOL,
        f"expected {expected}, got {kind_of(value)}"
        + (f" with keys {sorted(value)[:6]}" if isinstance(value, dict) else ""),
        tool=tool,
    )


def items_of(
    document: Document, keys: tuple[str, ...] = ()
) -> Iterator[tuple[int | None, str, Any]]:
    """``(index, pointer, value)`` of the tool records of a document.

    JSON Lines: each line (index = line number, pointer relative to the line); a single
    document: the items of a top-level list, or of the first of ``keys`` holding a list
    (index = 0-based position, pointer from the document root), else the document itself.
    """
    if document.kind == "jsonl":
        for number, value in document.lines:
            yield number, "", value
        return
    value = document.value
    container, base = value, ""
    if isinstance(value, dict):
        for key in keys:
            if isinstance(value.get(key), list):
                container, base = value[key], join("", key)
                break
    if isinstance(container, list):
        for i, item in enumerate(container):
            yield i, join(base, i), item
    else:
        yield (0 if isinstance(value, dict) else None), "", value
