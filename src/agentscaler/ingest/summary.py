"""What an import did: records read, kept, merged, rejected (by reason), per source."""

from __future__ import annotations

from typing import ClassVar

from agentscaler.records.base import Record


class SkippedFile(Record):
    """A file that holds no tools (gold answers, READMEs, task files): skipped, not rejected."""

    source: str
    origin: str
    reason: str


class SourceSummary(Record):
    """Counts for one source as given (a file, a directory, a glob, ``builtin``)."""

    source: str
    files: int = 0
    """Files read as catalogs."""
    skipped: int = 0
    failed: int = 0
    """Files that could not be read at all (syntax errors)."""
    records: int = 0
    """Tool records read (including rejected ones)."""
    rejected: int = 0
    tools: int = 0
    """Tools of the pool with at least one variant from this source."""


class IngestSummary(Record):
    SCHEMA_VERSION: ClassVar[int] = 1

    schema_version: int = 1
    records_read: int
    """Tool records found (kept + merged + rejected)."""
    kept: int
    """Tools in the pool."""
    exact_merged: int
    """Records identical (after normalization) to an earlier one."""
    near_merged: int
    """Distinct variants merged into another with the same name and parameter names."""
    rejected: int
    rejected_by_reason: dict[str, int]
    files_read: int
    files_failed: int
    skipped: tuple[SkippedFile, ...] = ()
    by_format: dict[str, int] = {}
    """Records read per detected (or forced) format."""
    sources: tuple[SourceSummary, ...] = ()

    @property
    def merged(self) -> int:
        return self.exact_merged + self.near_merged
