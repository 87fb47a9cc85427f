"""The export stage: kept episodes of a run folder -> ``dataset/`` (stage 1, stage 2, held-out).

Reads ``domains.jsonl``, ``tasks.jsonl``, ``filtered/kept.jsonl``, ``episodes/**/*.jsonl`` and
``worlds/<domain_id>/tools.json``; writes::

    dataset/manifest.json            counts, domains per split, settings (DatasetManifest)
    dataset/stage1/data.parquet      all domains, held-out tasks excluded
    dataset/stage1/data.jsonl
    dataset/stage2/...               the chosen vertical domains
    dataset/heldout/...              kept episodes of held-out tasks
    dataset/heldout/tasks.jsonl      every held-out task (HeldOutTask), kept episodes or not
    dataset/sharegpt/<split>.jsonl   LLaMA-Factory ShareGPT files + dataset_info.json

Rows follow the order of the episode files. The new dataset is written beside the old one and
swapped in only when complete, so an interrupted export leaves the previous dataset (or none)
and never a partial one. A finished export with the same settings and unchanged inputs is not
redone.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from agentscaler.errors import CorruptRecordError, RunFolderError
from agentscaler.export.config import ExportConfig
from agentscaler.export.episodes import iter_episodes
from agentscaler.export.rows import episode_row, load_world_tools, restage
from agentscaler.export.sharegpt import ShareGptWriter
from agentscaler.export.split import is_heldout, resolve_stage2_domains, splits_of
from agentscaler.export.writers import COLUMN_NOTES, JSONL_NAME, PARQUET_NAME, SplitWriter
from agentscaler.gcpause import gc_paused
from agentscaler.jsonl import iter_json_lines, read_json, read_records, write_json, write_records
from agentscaler.records import Domain, Episode, Verdict
from agentscaler.records.dataset import (
    SPLITS,
    DatasetManifest,
    DomainCount,
    HeldOutTask,
    InputStats,
    ShareGptStats,
    Split,
    SplitStats,
)
from agentscaler.workspace import Workspace, fingerprint

log = logging.getLogger(__name__)

STAGE = "export"
_FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
HELDOUT_TASKS_NAME = "tasks.jsonl"
SHAREGPT_DIR = "sharegpt"


def episode_files(ws: Workspace) -> list[Path]:
    """The episode shards of a run folder, in a stable order."""
    return sorted(ws.episodes_dir.rglob("*.jsonl"))


def _input_files(ws: Workspace) -> list[Path]:
    files = [ws.domains, ws.tasks, ws.filtered_dir / "kept.jsonl", *episode_files(ws)]
    files += sorted(ws.worlds_dir.glob("*/tools.json"))
    return files


def export_fingerprint(ws: Workspace, config: ExportConfig) -> str:
    """Settings plus size and modification time of every input file."""
    stats = []
    for path in _input_files(ws):
        st = path.stat()
        stats.append([str(path.relative_to(ws.root)), st.st_size, st.st_mtime_ns])
    return fingerprint(
        {"version": _FORMAT_VERSION, "config": config.model_dump(mode="json"), "inputs": stats}
    )


def _task_domains(path: Path) -> dict[str, str]:
    """task id -> domain id, read from ``tasks.jsonl`` without validating the gold data."""
    result: dict[str, str] = {}
    for number, data in iter_json_lines(path):
        task_id = data.get("id") if isinstance(data, dict) else None
        domain_id = data.get("domain_id") if isinstance(data, dict) else None
        if not isinstance(task_id, str) or not isinstance(domain_id, str):
            raise CorruptRecordError(
                f"{path}:{number}: a Task record needs string fields 'id' and 'domain_id'. "
                "Re-run `agentscaler tasks sample` for this run folder."
            )
        result[task_id] = domain_id
    return result


def _kept_verdicts(path: Path) -> dict[str, Verdict]:
    kept: dict[str, Verdict] = {}
    for index, verdict in enumerate(read_records(path, Verdict), start=1):
        if not verdict.kept:
            raise CorruptRecordError(
                f"{path}: record {index} (episode {verdict.episode_id}) has kept=false in the "
                "file of kept episodes. Re-run `agentscaler filter` for this run folder."
            )
        kept.setdefault(verdict.episode_id, verdict)
    return kept


class _DomainTools:
    """Tools of each domain's world, read once (tuple and its JSON text)."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._cache: dict[str, tuple[tuple[dict[str, Any], ...], str]] = {}

    def get(self, domain_id: str) -> tuple[tuple[dict[str, Any], ...], str]:
        if domain_id not in self._cache:
            path = self.ws.require(self.ws.world_dir(domain_id) / "tools.json", "worlds")
            tools = load_world_tools(path)
            self._cache[domain_id] = (tools, json.dumps(list(tools), ensure_ascii=False))
        return self._cache[domain_id]


class _SplitCounter:
    def __init__(self) -> None:
        self.rows = 0
        self.tasks: set[str] = set()
        self.domains: Counter[str] = Counter()

    def add(self, task_id: str, domain_id: str) -> None:
        self.rows += 1
        self.tasks.add(task_id)
        self.domains[domain_id] += 1

    def stats(self, names: dict[str, str], files: dict[str, str]) -> SplitStats:
        domains = tuple(
            DomainCount(id=d, name=names.get(d, d), rows=n) for d, n in sorted(self.domains.items())
        )
        return SplitStats(rows=self.rows, tasks=len(self.tasks), domains=domains, files=files)


def _swap_in(partial: Path, final: Path) -> None:
    old = final.with_name(f".{final.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        final.rename(old)
    partial.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def read_manifest(root: Path) -> DatasetManifest:
    """The manifest of the dataset exported in run folder ``root``."""
    ws = Workspace(root)
    path = ws.require(ws.dataset_dir / MANIFEST_NAME, STAGE)
    return DatasetManifest.from_json_dict(read_json(path), where=str(path))


class _Exporter:
    """One export run: reads the inputs once, streams the kept episodes into split writers."""

    def __init__(self, ws: Workspace, config: ExportConfig) -> None:
        self.ws = ws
        self.config = config
        domains = read_records(ws.domains, Domain)
        self.names = {d.id: d.name for d in domains}
        selection = resolve_stage2_domains(config.stage2_domains, domains)
        self.stage2 = frozenset(d for ids in selection.values() for d in ids)
        self.task_domains = _task_domains(ws.tasks)
        self.kept = _kept_verdicts(ws.filtered_dir / "kept.jsonl")
        self.tools = _DomainTools(ws)
        self.counters = {split: _SplitCounter() for split in SPLITS}
        self.inputs: Counter[str] = Counter(kept_verdicts=len(self.kept))
        self.seen: set[str] = set()
        self.heldout_kept: Counter[str] = Counter()

    def write(self, folder: Path, advance: Callable[[int], None] | None) -> ShareGptStats | None:
        formats = set(self.config.formats)
        with ExitStack() as stack:
            writers = {
                split: stack.enter_context(
                    SplitWriter(
                        folder / split,
                        parquet="parquet" in formats,
                        jsonl="jsonl" in formats,
                        row_group_size=self.config.parquet_row_group_size,
                        compression=self.config.parquet_compression,
                    )
                )
                for split in SPLITS
            }
            share = None
            if "sharegpt" in formats:
                share = stack.enter_context(ShareGptWriter(folder / SHAREGPT_DIR, SPLITS))
            stack.enter_context(gc_paused())
            for episode in self._kept_episodes():
                if advance is not None:
                    advance(1)
                self._export_one(episode, writers, share)
        self._check_all_found()
        write_records(folder / "heldout" / HELDOUT_TASKS_NAME, self.heldout_tasks())
        if share is None:
            return None
        return ShareGptStats(
            rows=share.rows, skipped=share.skipped, dropped_texts=share.dropped_texts
        )

    def _kept_episodes(self) -> Iterator[Episode]:
        for path in episode_files(self.ws):
            for number, episode in iter_episodes(path):
                if episode.id not in self.kept:
                    continue
                if episode.id in self.seen:
                    self.inputs["duplicate_episodes"] += 1
                    continue
                self.seen.add(episode.id)
                self.inputs["episodes_read"] += 1
                if episode.domain_id not in self.names:
                    raise RunFolderError(
                        f"{path}:{number}: episode {episode.id} belongs to domain "
                        f"{episode.domain_id!r}, which is not in {self.ws.domains}. Re-run the "
                        "pipeline from `agentscaler domains build` for this run folder."
                    )
                yield episode

    def _export_one(
        self, episode: Episode, writers: dict[Split, SplitWriter], share: ShareGptWriter | None
    ) -> None:
        if episode.task_id not in self.task_domains:
            self.inputs["unknown_tasks"] += 1
        tools, tools_json = self.tools.get(episode.domain_id)
        heldout = is_heldout(episode.task_id, self.config.heldout_fraction, self.config.seed)
        splits = splits_of(heldout=heldout, domain_id=episode.domain_id, stage2_domains=self.stage2)
        row = episode_row(
            episode,
            domain=self.names[episode.domain_id],
            tools=tools,
            stage=splits[0],
            trim=self.config.trim_trailing_turns,
        )
        if row is None:
            self.inputs["without_assistant"] += 1
            return
        self.inputs["rows"] += 1
        if heldout:
            self.heldout_kept[episode.task_id] += 1
        for split in splits:
            writers[split].write(restage(row, split), tools_json)
            self.counters[split].add(row.task_id, row.domain_id)
        if share is not None:
            share.write(splits, row, tools_json)

    def _check_all_found(self) -> None:
        missing = [episode_id for episode_id in self.kept if episode_id not in self.seen]
        if missing:
            verdict = self.kept[missing[0]]
            raise RunFolderError(
                f"{len(missing)} kept episode(s) of {self.ws.filtered_dir / 'kept.jsonl'} are not "
                f"in {self.ws.episodes_dir}, e.g. episode {verdict.episode_id} of task "
                f"{verdict.task_id}. Re-run `agentscaler filter` so that the kept list matches "
                "the episodes."
            )

    def heldout_tasks(self) -> list[HeldOutTask]:
        """Every held-out task of ``tasks.jsonl``, plus held-out tasks known only from episodes."""
        domains = {
            t: d
            for t, d in self.task_domains.items()
            if is_heldout(t, self.config.heldout_fraction, self.config.seed)
        }
        for verdict in self.kept.values():
            if verdict.task_id in self.heldout_kept:
                domains.setdefault(verdict.task_id, verdict.domain_id)
        return [
            HeldOutTask(task_id=t, domain_id=d, kept_episodes=self.heldout_kept[t])
            for t, d in sorted(domains.items())
        ]

    def manifest(
        self, stamp: str, share: ShareGptStats | None, heldout_tasks: int
    ) -> DatasetManifest:
        formats = self.config.formats

        def files(split: Split) -> dict[str, str]:
            names = {
                "parquet": f"{split}/{PARQUET_NAME}",
                "jsonl": f"{split}/{JSONL_NAME}",
                "sharegpt": f"{SHAREGPT_DIR}/{split}.jsonl",
            }
            return {fmt: names[fmt] for fmt in formats}

        return DatasetManifest(
            fingerprint=stamp,
            heldout_fraction=self.config.heldout_fraction,
            seed=self.config.seed,
            formats=formats,
            stage2_keywords=self.config.stage2_domains,
            stage2_domains=tuple(sorted(self.stage2)),
            heldout_tasks=heldout_tasks,
            splits={s: self.counters[s].stats(self.names, files(s)) for s in SPLITS},
            input=InputStats(**self.inputs),
            sharegpt=share,
            columns=COLUMN_NOTES,
        )


def export_dataset(
    root: Path,
    config: ExportConfig | None = None,
    *,
    force: bool = False,
    advance: Callable[[int], None] | None = None,
) -> DatasetManifest:
    """Export the kept episodes of run folder ``root`` into ``root/dataset``.

    Returns the manifest (the existing one when the dataset is already up to date and ``force``
    is false). ``advance(n)`` is called as kept episodes are processed, for a progress bar whose
    total is :func:`count_kept`.
    """
    config = config or ExportConfig()
    ws = Workspace(root)
    for path, stage in (
        (ws.domains, "domains"),
        (ws.tasks, "tasks"),
        (ws.episodes_dir, "simulate"),
        (ws.filtered_dir / "kept.jsonl", "filter"),
    ):
        ws.require(path, stage)
    stamp = export_fingerprint(ws, config)
    if not force and ws.stage_done(STAGE, stamp) and (ws.dataset_dir / MANIFEST_NAME).exists():
        log.info("%s is up to date with its inputs and settings; nothing to do", ws.dataset_dir)
        return read_manifest(root)
    ws.clear_marker(STAGE)

    exporter = _Exporter(ws, config)
    partial = ws.root / f".{ws.dataset_dir.name}.partial"
    if partial.exists():
        shutil.rmtree(partial)
    try:
        share = exporter.write(partial, advance)
        heldout = sum(1 for _ in iter_json_lines(partial / "heldout" / HELDOUT_TASKS_NAME))
        manifest = exporter.manifest(stamp, share, heldout)
        write_json(partial / MANIFEST_NAME, manifest.to_json_dict())
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    _swap_in(partial, ws.dataset_dir)
    ws.mark_done(
        STAGE,
        fingerprint=stamp,
        summary={split: stats.rows for split, stats in manifest.splits.items()}
        | {"heldout_tasks": heldout},
    )
    return manifest


def count_kept(root: Path) -> int:
    """Number of kept verdicts (the work an export has to do)."""
    path = Workspace(root).filtered_dir / "kept.jsonl"
    return sum(1 for _ in iter_json_lines(path)) if path.exists() else 0


def heldout_task_ids(root: Path) -> list[str]:
    """Ids of the held-out tasks of an exported run folder."""
    ws = Workspace(root)
    path = ws.require(ws.dataset_dir / "heldout" / HELDOUT_TASKS_NAME, STAGE)
    return [t.task_id for t in read_records(path, HeldOutTask)]


__all__ = [
    "count_kept",
    "export_dataset",
    "export_fingerprint",
    "heldout_task_ids",
    "read_manifest",
]
