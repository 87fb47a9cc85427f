"""Ingestion: tool catalogs in many dialects -> one normalized, deduplicated ToolSpec pool.

::

    from agentscaler.ingest import import_sources, load_pool, export_openai

    result = import_sources(["builtin", "catalog.json", "specs/", "more/*.yaml"])
    result.tools      # list[ToolSpec], deduplicated, in reading order
    result.rejects    # list[Reject]: file, line/index, pointer, field, reason, message
    result.summary    # IngestSummary: read / kept / merged / rejected by reason / per source

The normal form of schemas is documented in :mod:`agentscaler.ingest.normalize`.
"""

from agentscaler.ingest.config import BUILTIN_SOURCE, IngestConfig, SourceFormat
from agentscaler.ingest.export import export_openai, load_pool, openai_function, write_pool
from agentscaler.ingest.names import openai_name
from agentscaler.ingest.normalize import (
    normalize_parameters,
    normalize_returns,
    normalize_schema,
)
from agentscaler.ingest.pipeline import IngestResult, import_sources
from agentscaler.ingest.rejects import Reject, RejectReason, read_rejects
from agentscaler.ingest.stats import PoolStats, pool_stats
from agentscaler.ingest.summary import IngestSummary, SkippedFile, SourceSummary

__all__ = [
    "BUILTIN_SOURCE",
    "IngestConfig",
    "IngestResult",
    "IngestSummary",
    "PoolStats",
    "Reject",
    "RejectReason",
    "SkippedFile",
    "SourceFormat",
    "SourceSummary",
    "export_openai",
    "import_sources",
    "load_pool",
    "normalize_parameters",
    "normalize_returns",
    "normalize_schema",
    "openai_function",
    "openai_name",
    "pool_stats",
    "read_rejects",
    "write_pool",
]
