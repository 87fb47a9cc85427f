"""Rejected records: why a tool (or a whole file) was not imported, and where it is."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import ClassVar

from agentscaler.errors import RecordRejected
from agentscaler.jsonl import read_records, write_records
from agentscaler.records.base import Record


class RejectReason(StrEnum):
    MISSING_SOURCE = "missing_source"
    """A file, directory or glob given as a source does not exist or matches nothing."""
    UNREADABLE_FILE = "unreadable_file"
    """A whole file is not valid JSON/YAML (or not UTF-8): nothing in it was imported."""
    UNPARSEABLE_LINE = "unparseable_line"
    """One line of a JSON Lines file is not valid JSON."""
    NOT_A_TOOL = "not_a_tool"
    """The record does not have the shape of a tool in the file's dialect."""
    MISSING_NAME = "missing_name"
    """The tool has no usable name."""
    INVALID_FIELD = "invalid_field"
    """A field has the wrong kind of value (a description that is not text, an ``enum`` that is
    not a list, a property schema that is not an object, ...)."""
    UNKNOWN_TYPE = "unknown_type"
    """A parameter's ``type`` names no known type."""
    NOT_AN_OBJECT = "not_an_object"
    """The parameters schema does not describe an object."""
    UNRESOLVED_REF = "unresolved_ref"
    """A ``$ref`` points nowhere, or outside the document."""
    TOO_COMPLEX = "too_complex"
    """The schema is nested too deeply or grows too large once references are inlined."""
    TOO_LARGE = "too_large"
    """The tool exceeds a size limit: its description's length or its number of parameters."""
    INVALID_SCHEMA = "invalid_schema"
    """The normalized schema failed the JSON Schema 2020-12 metaschema check."""
    INTERNAL_ERROR = "internal_error"
    """Normalization failed unexpectedly (a bug: the record is kept out, the import goes on)."""


class Reject(Record):
    """One record (or file) that was not imported, with where it is and why."""

    SCHEMA_VERSION: ClassVar[int] = 1

    schema_version: int = 1
    source: str
    """File path as given (or found under a directory given), or ``builtin``."""
    index: int | None = None
    """1-based line (JSON Lines) or 0-based index of the tool in a single JSON/YAML document;
    None for a whole file (its message gives the line and column of a syntax error)."""
    pointer: str = ""
    """JSON pointer of the tool inside the line (JSON Lines) or the document."""
    tool: str | None = None
    """The tool's name as written, when it has one."""
    field: str = ""
    """JSON pointer of the offending field, relative to the tool."""
    reason: RejectReason
    message: str

    def location(self) -> str:
        """``file:line pointer`` as printed in messages."""
        where = self.source if self.index is None else f"{self.source}:{self.index}"
        if self.pointer:
            where += f" {self.pointer}"
        return where

    def __str__(self) -> str:
        name = f" tool {self.tool!r}" if self.tool else ""
        field = f" field {self.field}" if self.field else ""
        return f"{self.location()}{name}{field}: {self.message}"


def rejected(reason: RejectReason, field: str, message: str) -> RecordRejected:
    """The exception raised inside loaders and normalization for one bad record."""
    return RecordRejected(message, reason=str(reason), field=field)


def write_rejects(path: Path, rejects: list[Reject]) -> int:
    """Write the rejects file (always, possibly empty, so a stale one never survives)."""
    return write_records(path, rejects)


def read_rejects(path: Path) -> list[Reject]:
    return read_records(path, Reject)
