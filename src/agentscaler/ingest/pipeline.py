"""The ingestion stage: sources in, one deduplicated ToolSpec pool (and its rejects) out."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from agentscaler.errors import ConfigError, IngestError, SourceFileError
from agentscaler.gcpause import gc_paused
from agentscaler.ingest.build import ToolBuilder, Variant
from agentscaler.ingest.config import IngestConfig, SourceFormat
from agentscaler.ingest.dedup import MergeResult, merge_variants
from agentscaler.ingest.deep_json import MAX_DEPTH, first_unrepresentable
from agentscaler.ingest.detect import detect_format
from agentscaler.ingest.loaders import LOADERS
from agentscaler.ingest.loaders.base import RawTool
from agentscaler.ingest.loaders.pool import builtin_items
from agentscaler.ingest.reading import read_document
from agentscaler.ingest.rejects import Reject, RejectReason
from agentscaler.ingest.sources import PlannedFile, plan_sources
from agentscaler.ingest.summary import IngestSummary, SkippedFile, SourceSummary
from agentscaler.records.tool import ToolSpec

log = logging.getLogger(__name__)

_FILE_LEVEL = frozenset({RejectReason.MISSING_SOURCE, RejectReason.UNREADABLE_FILE})


@dataclass(frozen=True)
class IngestResult:
    """The pool, every reject, and the counts of an import."""

    tools: list[ToolSpec]
    """Deduplicated tools, in the order their first variant was read."""
    rejects: list[Reject]
    """Rejected records and files that could not be read, in reading order."""
    summary: IngestSummary

    @property
    def file_errors(self) -> list[Reject]:
        return [r for r in self.rejects if r.reason in _FILE_LEVEL]


@dataclass
class _Counts:
    files: int = 0
    skipped: int = 0
    failed: int = 0
    records: int = 0
    rejected: int = 0


@dataclass
class _Run:
    config: IngestConfig
    forced: SourceFormat | None
    variants: list[Variant] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    by_format: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    counts: dict[str, _Counts] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.builder = ToolBuilder(self.config)


def parse_format(value: str | SourceFormat | None) -> SourceFormat | None:
    if value is None or isinstance(value, SourceFormat):
        return value
    try:
        return SourceFormat(value)
    except ValueError:
        choices = ", ".join(f.value for f in SourceFormat)
        raise ConfigError(f"unknown format {value!r}; choose one of: {choices}") from None


def import_sources(
    sources: Sequence[str | Path],
    format: str | SourceFormat | None = None,
    *,
    config: IngestConfig | None = None,
    progress: bool = False,
) -> IngestResult:
    """Import tool catalogs into one normalized, deduplicated pool.

    ``sources``: files, directories (read recursively), globs, or ``"builtin"``. ``format``
    forces a dialect for every file (default: detected per file). Bad records and unreadable
    files become rejects; this raises only for bad arguments (no sources, unknown format).
    """
    if not sources:
        raise IngestError("no sources to import; give files, directories, globs or 'builtin'")
    run = _Run(config=config or IngestConfig(), forced=parse_format(format))
    origins = [str(s) for s in sources]
    plan = plan_sources(origins, run.config)
    for origin in origins:
        run.counts.setdefault(origin, _Counts())
    run.skipped.extend(plan.skipped)
    for skipped in plan.skipped:
        run.counts[skipped.origin].skipped += 1
    for missing in plan.missing:
        run.rejects.append(missing)
        run.counts[missing.source].failed += 1
    with gc_paused(), _progress(progress, len(plan.files)) as advance:
        for planned in plan.files:
            _import_file(run, planned)
            advance()
        merged = merge_variants(run.variants, near=run.config.near_duplicates)
    return IngestResult(
        tools=merged.tools, rejects=run.rejects, summary=_summary(run, merged, origins)
    )


def _import_file(run: _Run, planned: PlannedFile) -> None:
    counts = run.counts[planned.origin]
    try:
        fmt, items = _items(run, planned)
    except SourceFileError as exc:
        log.info("%s", exc)
        counts.failed += 1
        reason = RejectReason.MISSING_SOURCE if planned.builtin else RejectReason.UNREADABLE_FILE
        message = str(exc).removeprefix(f"{planned.display}: ")
        run.rejects.append(Reject(source=planned.display, reason=reason, message=message))
        return
    if fmt is None:
        return
    counts.files += 1
    try:
        for item in items:
            counts.records += 1
            run.by_format[fmt] += 1
            result = item if isinstance(item, Reject) else run.builder.build(item, planned.origin)
            if isinstance(result, Reject):
                counts.rejected += 1
                run.reasons[str(result.reason)] += 1
                run.rejects.append(result)
            else:
                run.variants.append(result)
    except Exception as exc:  # a loader bug must not stop the other files
        log.warning("%s: unexpected error while reading", planned.display, exc_info=True)
        counts.failed += 1
        run.rejects.append(
            Reject(
                source=planned.display,
                reason=RejectReason.INTERNAL_ERROR,
                message=f"unexpected {type(exc).__name__} while reading the file: {exc}; the "
                "tools read before it were kept; please report it",
            )
        )


def _items(run: _Run, planned: PlannedFile) -> tuple[str | None, Iterator[RawTool | Reject]]:
    """``(format, items)`` of one planned file; format None when the file was skipped."""
    if planned.path is None:
        return "builtin", iter(builtin_items())
    suffix = planned.path.suffix.lower()
    if run.forced is None and suffix not in run.config.extensions:
        _skip(
            run,
            planned,
            f"unsupported file type {suffix or '(no suffix)'}; pass --format to read it",
        )
        return None, iter(())
    document = read_document(planned.path, planned.display)
    fmt = run.forced
    if fmt is None:
        fmt, why = detect_format(document, run.config.detect_sample)
        if fmt is None:
            _skip(run, planned, why)
            return None, iter(())
        log.info("%s: %s (%s)", planned.display, fmt.value, why)

    def items() -> Iterator[RawTool | Reject]:
        yield from document.rejects
        for item in LOADERS[fmt](document, run.config):
            if document.unrepresentable and isinstance(item, RawTool):
                yield _unrepresentable(item) or item
            else:
                yield item

    return fmt.value, items()


def _unrepresentable(raw: RawTool) -> Reject | None:
    """A reject for a record holding NaN, an infinity or a too-deep value, naming the field."""
    for where, value in (
        (raw.name_field, raw.name),
        (raw.description_field, raw.description),
        (raw.parameters_field, raw.parameters),
        (raw.returns_field, raw.returns),
        (raw.required_field, raw.required),
    ):
        found = first_unrepresentable(value, where)
        if found is not None:
            pointer, what = found
            parts = pointer.split("/")
            if len(parts) > 12:
                pointer = "/".join(parts[:11]) + "/..."
            deep = isinstance(what, str) and what.startswith("values nested")
            return Reject(
                source=raw.source,
                index=raw.index,
                pointer=raw.pointer,
                tool=raw.name if isinstance(raw.name, str) else None,
                field=pointer,
                reason=RejectReason.TOO_COMPLEX if deep else RejectReason.INVALID_FIELD,
                message=(
                    f"the value at {pointer} holds {what}; flatten it (limit: {MAX_DEPTH} levels)"
                    if deep
                    else f"the value at {pointer} is {what}; use a number or null"
                ),
            )
    return None


def _skip(run: _Run, planned: PlannedFile, reason: str) -> None:
    run.skipped.append(SkippedFile(source=planned.display, origin=planned.origin, reason=reason))
    run.counts[planned.origin].skipped += 1


def _summary(run: _Run, merged: MergeResult, origins: list[str]) -> IngestSummary:
    tools_per_origin: Counter[str] = Counter()
    for sources in merged.origins:
        tools_per_origin.update(sources)
    return IngestSummary(
        records_read=sum(c.records for c in run.counts.values()),
        kept=len(merged.tools),
        exact_merged=merged.exact_merged,
        near_merged=merged.near_merged,
        rejected=sum(c.rejected for c in run.counts.values()),
        rejected_by_reason=dict(sorted(run.reasons.items())),
        files_read=sum(c.files for c in run.counts.values()),
        files_failed=sum(c.failed for c in run.counts.values()),
        skipped=tuple(run.skipped),
        by_format=dict(sorted(run.by_format.items())),
        sources=tuple(
            SourceSummary(
                source=origin,
                files=run.counts[origin].files,
                skipped=run.counts[origin].skipped,
                failed=run.counts[origin].failed,
                records=run.counts[origin].records,
                rejected=run.counts[origin].rejected,
                tools=tools_per_origin[origin],
            )
            for origin in dict.fromkeys(origins)
        ),
    )


@contextmanager
def _progress(enabled: bool, total: int) -> Iterator:
    if not enabled:
        yield lambda n=1: None
        return
    from agentscaler.progress import progress_bar

    with progress_bar("importing catalogs", total) as advance:
        yield advance
