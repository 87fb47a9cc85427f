"""One loader per catalog dialect: ``load(document, config)`` yields RawTools and rejects."""

from __future__ import annotations

from agentscaler.ingest.config import SourceFormat
from agentscaler.ingest.loaders import acebench, bfcl, mcp, openai, openapi, pool, seal_tools
from agentscaler.ingest.loaders.base import Item, Loader, RawTool

LOADERS: dict[SourceFormat, Loader] = {
    SourceFormat.OPENAI: openai.load,
    SourceFormat.MCP: mcp.load,
    SourceFormat.OPENAPI: openapi.load,
    SourceFormat.BFCL: bfcl.load,
    SourceFormat.SEAL_TOOLS: seal_tools.load,
    SourceFormat.ACEBENCH: acebench.load,
    SourceFormat.POOL: pool.load,
}

__all__ = ["LOADERS", "Item", "Loader", "RawTool"]
