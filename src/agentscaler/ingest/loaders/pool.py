"""ToolSpec records: pools written by ``agentscaler tools import`` and the built-in catalog.

Their provenance and tags are kept as they are; their schemas still go through normalization
(a no-op on the normal form), so importing a pool again, or merging pools, gives the same ids.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError

from agentscaler.errors import AgentscalerError, SourceFileError
from agentscaler.ingest.config import BUILTIN_SOURCE, IngestConfig
from agentscaler.ingest.loaders.base import Item, RawTool, items_of, reject
from agentscaler.ingest.reading import Document
from agentscaler.ingest.rejects import RejectReason
from agentscaler.records.tool import Dialect, Provenance, ToolSpec


def load(document: Document, config: IngestConfig) -> Iterator[Item]:
    for index, pointer, value in items_of(document, ("tools",)):
        try:
            if not isinstance(value, dict):
                raise ValueError(
                    f"expected a ToolSpec record (an object), got {type(value).__name__}"
                )
            spec = ToolSpec.from_json_dict(value, where=f"{document.source}:{index}")
        except ValidationError as exc:
            first = exc.errors()[0]
            field = "/" + "/".join(str(p) for p in first.get("loc", ()))
            yield reject(
                document,
                index,
                pointer,
                RejectReason.INVALID_FIELD,
                f"not a valid ToolSpec record: {first.get('msg')}",
                field=field,
                tool=value.get("name") if isinstance(value, dict) else None,
            )
            continue
        except (ValueError, AgentscalerError) as exc:
            yield reject(document, index, pointer, RejectReason.NOT_A_TOOL, str(exc))
            continue
        yield from_spec(
            spec, source=document.source, index=index, pointer=pointer, dialect="openai"
        )


def from_spec(
    spec: ToolSpec, *, source: str, index: int | None, pointer: str, dialect: Dialect
) -> RawTool:
    """A RawTool that keeps the record's provenance (or makes one when it has none)."""
    provenance = spec.provenance or (
        Provenance(
            source=source, index=index, pointer=pointer, dialect=dialect, original_name=spec.name
        ),
    )
    return RawTool(
        source=source,
        index=index,
        pointer=pointer,
        dialect=dialect,
        name=spec.name,
        description=spec.description,
        parameters=spec.parameters,
        returns=spec.returns,
        tags=spec.tags,
        provenance=provenance,
        service=spec.service,
    )


def builtin_items() -> list[RawTool]:
    """The built-in catalog as RawTools; a clear error when it is not installed."""
    try:
        from agentscaler.catalog import builtin_tools
    except ImportError as exc:
        raise SourceFileError(
            "builtin: the built-in catalog (agentscaler.catalog) is not available in this "
            "installation; reinstall agentscaler, or import catalog files instead"
        ) from exc
    tools: list[Any] = builtin_tools()
    return [
        from_spec(tool, source=BUILTIN_SOURCE, index=i, pointer="", dialect="builtin")
        for i, tool in enumerate(tools)
    ]
