"""`ToolSpec`: one normalized tool of the pool (output of ingestion)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from agentscaler.canonical import content_hash
from agentscaler.records.base import Record

Dialect = Literal["openai", "mcp", "openapi", "bfcl", "seal-tools", "acebench", "builtin"]


class Provenance(Record):
    """Where one variant of a tool came from."""

    source: str = Field(description="file path as given on the command line, or 'builtin'")
    index: int | None = Field(
        default=None, description="1-based line (JSON Lines) or 0-based index"
    )
    pointer: str = Field(default="", description="JSON pointer of the tool inside the record")
    dialect: Dialect
    original_name: str
    variant_id: str | None = Field(
        default=None,
        description=(
            "id of the variant read at this location when it differs from the tool's id: a near "
            "duplicate (same name, same parameter names) merged into the surviving variant"
        ),
    )


class ToolSpec(Record):
    """A tool in one normalized JSON-Schema form.

    ``id`` is the content hash of the normalized tool (name, description, parameters, returns);
    provenance, tags and service do not enter it, so the same tool imported from two files has
    one id.

    ``service`` names the service the tool belongs to as its catalog grouped it (see
    :mod:`agentscaler.ingest.services`); domain discovery keeps a service's tools together.
    Version 1 records (written before services were recorded) are read with no service.
    """

    SCHEMA_VERSION: ClassVar[int] = 2
    OLDER_VERSIONS: ClassVar[tuple[int, ...]] = (1,)

    schema_version: int = 2
    id: str
    name: str = Field(pattern=r"^[a-zA-Z0-9_-]{1,64}$")
    description: str
    parameters: dict[str, Any]
    returns: dict[str, Any] | None = None
    provenance: tuple[Provenance, ...] = ()
    tags: tuple[str, ...] = ()
    service: str | None = Field(
        default=None,
        description="the service the tool came from (``vertical:retail_orders``, "
        "``class:gorilla_file_system``, ``mcp:servers/github.json`` ...): one vertical, API class, "
        "MCP server, OpenAPI spec or tool file; None for a loose tool",
    )

    @model_validator(mode="before")
    @classmethod
    def _upgrade(cls, data: Any) -> Any:
        """A version 1 record is a version 2 record whose service is not known."""
        if isinstance(data, dict) and data.get("schema_version") in cls.OLDER_VERSIONS:
            data = {**data, "schema_version": cls.SCHEMA_VERSION}
        return data

    @staticmethod
    def compute_id(
        name: str, description: str, parameters: dict[str, Any], returns: dict[str, Any] | None
    ) -> str:
        body = {
            "name": name,
            "description": description,
            "parameters": parameters,
            "returns": returns,
        }
        return "t" + content_hash(body, length=16)

    @classmethod
    def create(
        cls,
        *,
        name: str,
        description: str,
        parameters: dict[str, Any],
        returns: dict[str, Any] | None = None,
        provenance: tuple[Provenance, ...] = (),
        tags: tuple[str, ...] = (),
        service: str | None = None,
    ) -> ToolSpec:
        """Build a ToolSpec whose id is computed from its normalized content."""
        return cls(
            id=cls.compute_id(name, description, parameters, returns),
            name=name,
            description=description,
            parameters=parameters,
            returns=returns,
            provenance=provenance,
            tags=tags,
            service=service,
        )

    def tag_value(self, key: str) -> str | None:
        """Value of a ``key:value`` tag (e.g. ``vertical``), or None."""
        prefix = key + ":"
        for tag in self.tags:
            if tag.startswith(prefix):
                return tag[len(prefix) :]
        return None

    def openai_tool(self) -> dict[str, Any]:
        """The tool in the OpenAI ``tools`` format accepted by chat-completions servers."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }
