"""Settings of the ingestion stage: the one place for its defaults."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SourceFormat(StrEnum):
    """Catalog dialects a file can be read as (auto-detected, or forced with ``--format``)."""

    OPENAI = "openai"
    MCP = "mcp"
    OPENAPI = "openapi"
    BFCL = "bfcl"
    SEAL_TOOLS = "seal-tools"
    ACEBENCH = "acebench"
    POOL = "pool"
    """A ``tools.jsonl`` written by ``agentscaler tools import`` (provenance is kept as is)."""


UnknownTypePolicy = Literal["reject", "any"]

BUILTIN_SOURCE = "builtin"
"""The source name of the catalog shipped with agentscaler."""


class IngestConfig(BaseModel):
    """How catalogs are read, normalized and merged."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    extensions: tuple[str, ...] = (".json", ".jsonl", ".ndjson", ".yaml", ".yml")
    """Files with these suffixes are read when a directory or glob is imported; others are
    skipped (and a file named explicitly with another suffix needs ``--format``)."""
    answer_dirs: tuple[str, ...] = ("possible_answer",)
    """Folders of gold answers (BFCL, ACEBench): skipped, they hold calls, not tools."""
    detect_sample: int = Field(default=20, ge=1)
    """Records looked at to recognize a file's dialect."""
    near_duplicates: bool = True
    """Merge variants with the same name and the same parameter names (not only exact copies)."""
    unknown_types: UnknownTypePolicy = "reject"
    """A parameter type name nobody maps (e.g. ``"Strng"``): reject the tool, or drop the type."""
    max_description_chars: int = Field(default=10_000, ge=100)
    """Longest tool description accepted; longer tools are rejected (``too_large``). Real
    catalogs stay far below (the external pool's longest: 640 characters)."""
    max_parameters: int = Field(default=256, ge=1)
    """Most top-level parameters of one tool; more are rejected (``too_large``). The external
    pool's largest tool has 28."""
    max_schema_depth: int = Field(default=32, ge=2)
    """Deepest nesting of schemas in one tool; deeper tools are rejected as too complex."""
    max_schema_nodes: int = Field(default=20_000, ge=10)
    """Most schema nodes in one tool after ``$ref`` inlining; bigger tools are rejected."""
    check_schemas: bool = False
    """Also validate every normalized schema against the JSON Schema 2020-12 metaschema
    (jsonschema). The normal form is valid by construction; this is a slow second check."""
