"""The export's inner loop, run over some episode files, and the merge of parts into one dataset.

:class:`PartExporter` turns the kept episodes of some episode files into rows and streams them
into split writers. One exporter over every file writes the dataset directly. A large export runs
one exporter per episode file in worker processes, each writing a *part* folder (JSON Lines and
ShareGPT as they will appear, rows for Parquet as an Arrow stream), and :func:`merge_parts`
concatenates the parts in file order: the dataset is byte-for-byte the one a single process
writes, except for where Parquet row groups end.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentscaler.episode_lines import iter_episodes
from agentscaler.errors import RunFolderError
from agentscaler.export.config import ExportConfig
from agentscaler.export.rows import episode_row, load_world_tools, restage
from agentscaler.export.sharegpt import ShareGptWriter, write_dataset_info
from agentscaler.export.split import is_heldout, splits_of
from agentscaler.export.swift import SWIFT_DIR, SwiftWriter
from agentscaler.export.writers import (
    ARROW_PART_NAME,
    JSONL_NAME,
    PARQUET_NAME,
    SplitWriter,
    row_schema,
)
from agentscaler.gcpause import gc_paused
from agentscaler.records.dataset import (
    SPLITS,
    DatasetRow,
    DomainCount,
    ShareGptStats,
    Split,
    SplitStats,
    TokenStats,
)
from agentscaler.workspace import Workspace

SHAREGPT_DIR = "sharegpt"


@dataclass(frozen=True)
class ExportContext:
    """What every exporter needs to know about the run (small, sent to worker processes)."""

    root: str
    config: ExportConfig
    names: dict[str, str]
    stage2: frozenset[str]
    task_ids: frozenset[str]
    kept: frozenset[str]
    measure: bool = False
    """Measure rows in tokens and fit them to ``config.max_tokens`` (:mod:`.lengths`)."""


@dataclass
class SplitCounter:
    rows: int = 0
    tasks: set[str] = field(default_factory=set)
    domains: Counter[str] = field(default_factory=Counter)
    lengths: list[int] = field(default_factory=list)
    tools_trimmed: int = 0
    truncated: int = 0

    def add(self, row: DatasetRow) -> None:
        self.rows += 1
        self.tasks.add(row.task_id)
        self.domains[row.domain_id] += 1
        if row.num_tokens is not None:
            self.lengths.append(row.num_tokens)
        self.tools_trimmed += bool(row.dropped_tools)
        self.truncated += bool(row.dropped_messages)

    def merge(self, other: SplitCounter) -> None:
        self.rows += other.rows
        self.tasks |= other.tasks
        self.domains.update(other.domains)
        self.lengths.extend(other.lengths)
        self.tools_trimmed += other.tools_trimmed
        self.truncated += other.truncated

    def token_stats(self, budget: int) -> TokenStats:
        lengths = sorted(self.lengths)
        if not lengths:
            return TokenStats()
        return TokenStats(
            measured=len(lengths),
            total=sum(lengths),
            mean=round(sum(lengths) / len(lengths), 1),
            p50=lengths[len(lengths) // 2],
            p90=lengths[min(len(lengths) - 1, (len(lengths) * 9) // 10)],
            max=lengths[-1],
            over_budget=sum(1 for n in lengths if budget and n > budget),
            tools_trimmed=self.tools_trimmed,
            truncated=self.truncated,
        )

    def stats(
        self, names: dict[str, str], files: dict[str, str], budget: int | None = None
    ) -> SplitStats:
        domains = tuple(
            DomainCount(id=d, name=names.get(d, d), rows=n) for d, n in sorted(self.domains.items())
        )
        tokens = self.token_stats(budget) if budget is not None else None
        return SplitStats(
            rows=self.rows, tasks=len(self.tasks), domains=domains, files=files, tokens=tokens
        )


@dataclass
class PartResult:
    """Counts of one exporter, merged by the parent in file order."""

    counters: dict[Split, SplitCounter] = field(
        default_factory=lambda: {split: SplitCounter() for split in SPLITS}
    )
    inputs: Counter[str] = field(default_factory=Counter)
    heldout_kept: Counter[str] = field(default_factory=Counter)
    seen: list[str] = field(default_factory=list)
    share: ShareGptStats | None = None
    swift: ShareGptStats | None = None

    def to_json(self) -> dict[str, Any]:
        """The counts as JSON data (what a finished export shard keeps beside its part)."""
        return {
            "counters": {
                split: {
                    "rows": c.rows,
                    "tasks": sorted(c.tasks),
                    "domains": dict(sorted(c.domains.items())),
                    "lengths": c.lengths,
                    "tools_trimmed": c.tools_trimmed,
                    "truncated": c.truncated,
                }
                for split, c in self.counters.items()
            },
            "inputs": dict(sorted(self.inputs.items())),
            "heldout_kept": dict(sorted(self.heldout_kept.items())),
            "seen": self.seen,
            "share": None if self.share is None else self.share.to_json_dict(),
            "swift": None if self.swift is None else self.swift.to_json_dict(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], where: str) -> PartResult:
        counters = {
            split: SplitCounter(
                rows=c["rows"],
                tasks=set(c["tasks"]),
                domains=Counter(c["domains"]),
                lengths=list(c["lengths"]),
                tools_trimmed=c["tools_trimmed"],
                truncated=c["truncated"],
            )
            for split, c in data["counters"].items()
        }
        share, swift = data["share"], data["swift"]
        return cls(
            counters=counters,
            inputs=Counter(data["inputs"]),
            heldout_kept=Counter(data["heldout_kept"]),
            seen=list(data["seen"]),
            share=None if share is None else ShareGptStats.from_json_dict(share, where=where),
            swift=None if swift is None else ShareGptStats.from_json_dict(swift, where=where),
        )

    def merge(self, other: PartResult) -> None:
        for split, counter in other.counters.items():
            self.counters[split].merge(counter)
        self.inputs.update(other.inputs)
        self.heldout_kept.update(other.heldout_kept)
        self.seen.extend(other.seen)
        if other.share is not None:
            mine = self.share or ShareGptStats(rows=0, skipped=0, dropped_texts=0)
            self.share = ShareGptStats(
                rows=mine.rows + other.share.rows,
                skipped=mine.skipped + other.share.skipped,
                dropped_texts=mine.dropped_texts + other.share.dropped_texts,
            )
        if other.swift is not None:
            mine = self.swift or ShareGptStats()
            self.swift = ShareGptStats(
                rows=mine.rows + other.swift.rows, skipped=mine.skipped + other.swift.skipped
            )


class PartExporter:
    """Stream the kept episodes of some episode files into the split writers of ``folder``.

    ``part=True`` writes a part for :func:`merge_parts` (Parquet rows as an Arrow stream, no
    ``dataset_info.json``). Episode ids in ``exclude`` count as duplicates (already exported by an
    earlier part).
    """

    def __init__(
        self,
        context: ExportContext,
        folder: Path,
        *,
        part: bool = False,
        exclude: Iterable[str] = (),
    ) -> None:
        self.context = context
        self.config = context.config
        self.ws = Workspace(Path(context.root))
        self.folder = folder
        self.part = part
        self.exclude = frozenset(exclude)
        self.result = PartResult()
        self._seen: set[str] = set()
        self._tools: dict[str, tuple[tuple[dict[str, Any], ...], str]] = {}
        self.meter = None
        if context.measure:
            from agentscaler.export.lengths import LengthMeter

            self.meter = LengthMeter(self.config.max_tokens, self.config.seed)

    def run(self, paths: list[Path], advance: Callable[[int], None] | None = None) -> PartResult:
        formats = set(self.config.formats)
        with ExitStack() as stack:
            writers = {
                split: stack.enter_context(
                    SplitWriter(
                        self.folder / split,
                        parquet="parquet" in formats,
                        jsonl="jsonl" in formats,
                        row_group_size=self.config.parquet_row_group_size,
                        compression=self.config.parquet_compression,
                        arrow_part=self.part,
                    )
                )
                for split in SPLITS
            }
            share = None
            if "sharegpt" in formats:
                share = stack.enter_context(
                    ShareGptWriter(self.folder / SHAREGPT_DIR, SPLITS, info=not self.part)
                )
            swift = None
            if "swift" in formats:
                swift = stack.enter_context(SwiftWriter(self.folder / SWIFT_DIR, SPLITS))
            stack.enter_context(gc_paused())
            for path in paths:
                for number, raw_episode in iter_episodes(path):
                    if self._take(path, number, raw_episode):
                        if advance is not None:
                            advance(1)
                        self._export_one(raw_episode, writers, share, swift)
        if share is not None:
            self.result.share = ShareGptStats(
                rows=share.rows, skipped=share.skipped, dropped_texts=share.dropped_texts
            )
        if swift is not None:
            self.result.swift = ShareGptStats(rows=swift.rows, skipped=swift.skipped)
        return self.result

    def _take(self, path: Path, number: int, episode) -> bool:
        if episode.id not in self.context.kept:
            return False
        inputs = self.result.inputs
        if episode.id in self._seen or episode.id in self.exclude:
            inputs["duplicate_episodes"] += 1
            return False
        self._seen.add(episode.id)
        self.result.seen.append(episode.id)
        inputs["episodes_read"] += 1
        if episode.domain_id not in self.context.names:
            raise RunFolderError(
                f"{path}:{number}: episode {episode.id} belongs to domain "
                f"{episode.domain_id!r}, which is not in {self.ws.domains}. Re-run the "
                "pipeline from `agentscaler domains build` for this run folder."
            )
        return True

    def _domain_tools(self, domain_id: str) -> tuple[tuple[dict[str, Any], ...], str]:
        """A domain world's tools and their JSON text, read once."""
        if domain_id not in self._tools:
            path = self.ws.require(self.ws.world_dir(domain_id) / "tools.json", "worlds")
            tools = load_world_tools(path)
            self._tools[domain_id] = (tools, json.dumps(list(tools), ensure_ascii=False))
        return self._tools[domain_id]

    def _export_one(
        self,
        episode,
        writers: dict[Split, SplitWriter],
        share: ShareGptWriter | None,
        swift: SwiftWriter | None = None,
    ) -> None:
        config, result = self.config, self.result
        if episode.task_id not in self.context.task_ids:
            result.inputs["unknown_tasks"] += 1
        tools, tools_json = self._domain_tools(episode.domain_id)
        heldout = is_heldout(episode.task_id, config.heldout_fraction, config.seed)
        splits = splits_of(
            heldout=heldout, domain_id=episode.domain_id, stage2_domains=self.context.stage2
        )
        row = episode_row(
            episode,
            domain=self.context.names[episode.domain_id],
            tools=tools,
            stage=splits[0],
            trim=config.trim_trailing_turns,
        )
        if row is None:
            result.inputs["without_assistant"] += 1
            return
        if self.meter is not None:
            fitted = self.meter.fit(row)
            row = fitted.row
            if fitted.dropped_tools:
                tools_json = row.tools_json()
        result.inputs["rows"] += 1
        if heldout:
            result.heldout_kept[episode.task_id] += 1
        for split in splits:
            writers[split].write(restage(row, split), tools_json)
            result.counters[split].add(row)
        if share is not None:
            share.write(splits, row, tools_json)
        if swift is not None:
            swift.write(splits, row, tools_json)


_progress: Any = None
"""In a worker process: the queue that receives counts of exported episodes."""

_PROGRESS_BATCH = 256


def init_worker(progress: Any) -> None:
    """Initializer of worker processes: report progress into the ``progress`` queue."""
    global _progress
    _progress = progress


def export_part(context: ExportContext, paths: list[str], folder: str) -> PartResult:
    """The part of some consecutive episode files (runs in a worker process)."""
    pending = 0

    def advance(count: int) -> None:
        nonlocal pending
        pending += count
        if pending >= _PROGRESS_BATCH and _progress is not None:
            _progress.put(pending)
            pending = 0

    exporter = PartExporter(context, Path(folder), part=True)
    result = exporter.run([Path(p) for p in paths], advance)
    if pending and _progress is not None:
        _progress.put(pending)
    return result


@dataclass(frozen=True)
class ExportShard:
    """One shard of an export run by an executor: some episode files into one part folder
    (``<parts>/<index>/``), its counts and completion marker beside it."""

    context: ExportContext
    paths: tuple[str, ...]
    parts: str
    index: int
    fingerprint: str

    @property
    def folder(self) -> Path:
        return Path(self.parts) / f"{self.index:05d}"


def part_result_path(parts: Path, index: int) -> Path:
    return parts / f"{index:05d}.result.json"


def export_shard(shard: ExportShard) -> PartResult:
    """Body of one executor worker (progress is reported per shard by the executor): the part,
    its counts, then its completion marker (the hash of every file), so a rerun after an
    interruption keeps it."""
    from agentscaler.execution.shards import mark_shard
    from agentscaler.jsonl import write_json

    result = export_part(shard.context, list(shard.paths), str(shard.folder))
    parts = Path(shard.parts)
    counts = part_result_path(parts, shard.index)
    write_json(counts, result.to_json(), indent=None, fsync=False)
    files = sorted(p for p in shard.folder.rglob("*") if p.is_file())
    mark_shard(parts, shard.index, shard.fingerprint, [*files, counts])
    return result


def read_part_result(parts: Path, index: int) -> PartResult:
    """The counts a finished export shard kept beside its part."""
    from agentscaler.jsonl import read_json

    path = part_result_path(parts, index)
    return PartResult.from_json(read_json(path), where=str(path))


def file_chunks(paths: list[Path], count: int) -> list[list[Path]]:
    """``paths`` cut into at most ``count`` runs of consecutive files of about equal size."""
    sizes = [max(1, p.stat().st_size) for p in paths]
    total, chunks, done = sum(sizes), [], 0
    current: list[Path] = []
    for path, size in zip(paths, sizes, strict=True):
        current.append(path)
        done += size
        if done * count >= total * (len(chunks) + 1) and len(chunks) < count - 1:
            chunks.append(current)
            current = []
    if current:
        chunks.append(current)
    return chunks


def merge_parts(parts: list[Path], folder: Path, config: ExportConfig) -> None:
    """Concatenate the part folders ``parts`` (in order) into the dataset folder ``folder``."""
    formats = set(config.formats)
    for split in SPLITS:
        target = folder / split
        target.mkdir(parents=True, exist_ok=True)
        if "parquet" in formats:
            arrows = [p / split / ARROW_PART_NAME for p in parts]
            _merge_parquet(arrows, target / PARQUET_NAME, config)
        if "jsonl" in formats:
            _concatenate([p / split / JSONL_NAME for p in parts], target / JSONL_NAME)
    if "sharegpt" in formats:
        share = folder / SHAREGPT_DIR
        share.mkdir(parents=True, exist_ok=True)
        for split in SPLITS:
            name = f"{split}.jsonl"
            _concatenate([p / SHAREGPT_DIR / name for p in parts], share / name)
        write_dataset_info(share, SPLITS)
    if "swift" in formats:
        (folder / SWIFT_DIR).mkdir(parents=True, exist_ok=True)
        for split in SPLITS:
            name = f"{split}.jsonl"
            _concatenate([p / SWIFT_DIR / name for p in parts], folder / SWIFT_DIR / name)


def _concatenate(sources: list[Path], target: Path) -> None:
    with target.open("wb") as out:
        for source in sources:
            with source.open("rb") as handle:
                shutil.copyfileobj(handle, out, 1 << 20)


def _merge_parquet(sources: list[Path], target: Path, config: ExportConfig) -> None:
    """Arrow-stream parts -> one Parquet file, in row groups of the configured size."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = row_schema()
    tables = []
    for source in sources:
        # The tables keep the mapping open as long as their buffers live.
        tables.append(pa.ipc.open_stream(pa.memory_map(str(source))).read_all())
    compression = None if config.parquet_compression == "none" else config.parquet_compression
    size = config.parquet_row_group_size
    with pq.ParquetWriter(target, schema, compression=compression) as writer:
        if not tables:
            return
        table = pa.concat_tables(tables)
        for start in range(0, table.num_rows, size):
            writer.write_table(table.slice(start, size).cast(schema), row_group_size=size)
