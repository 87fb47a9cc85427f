"""The export stage: kept episodes of a run folder -> ``dataset/`` (stage 1, stage 2, held-out).

Reads ``domains.jsonl``, ``tasks.jsonl``, ``filtered/kept.jsonl``, ``episodes/*.jsonl`` and
``worlds/<domain_id>/tools.json``; writes::

    dataset/manifest.json            counts, domains per split, settings (DatasetManifest)
    dataset/stage1/data.parquet      all domains, held-out tasks excluded
    dataset/stage1/data.jsonl
    dataset/stage2/...               the chosen vertical domains
    dataset/heldout/...              kept episodes of held-out tasks
    dataset/heldout/tasks.jsonl      every held-out task (HeldOutTask), kept episodes or not
    dataset/sharegpt/<split>.jsonl   LLaMA-Factory ShareGPT files + dataset_info.json
    dataset/swift/<split>.jsonl      ms-swift agent-format files

Without ``--stage2-domains``, stage 2 takes the domains with the most kept training episodes
(``stage2_auto``, reported in the manifest). Rows are measured in tokens and fitted to the token
budget (:mod:`agentscaler.export.lengths`).

Rows follow the order of the episode files. The new dataset is written beside the old one and
swapped in only when complete, so an interrupted export leaves the previous dataset (or none)
and never a partial one. A finished export with the same settings and unchanged inputs is not
redone. On an executor each episode file is a shard whose part (``.dataset.parts/<n>/``) gets a
completion marker; a rerun with the same settings and inputs keeps finished parts and exports
only the rest.
"""

from __future__ import annotations

import logging
import os
import queue
import shutil
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from agentscaler.decontam.report import read_report, report_path
from agentscaler.errors import CorruptRecordError, RunFolderError, ShardsFailedError
from agentscaler.execution.base import Executor, ShardJob
from agentscaler.execution.shards import shard_done
from agentscaler.export.config import PARALLEL_MIN_EPISODES, ExportConfig
from agentscaler.export.parts import (
    SHAREGPT_DIR,
    ExportContext,
    ExportShard,
    PartExporter,
    PartResult,
    export_part,
    export_shard,
    file_chunks,
    init_worker,
    merge_parts,
    read_part_result,
)
from agentscaler.export.split import auto_stage2_domains, is_heldout, resolve_stage2_domains
from agentscaler.export.swift import SWIFT_DIR
from agentscaler.export.writers import COLUMN_NOTES, JSONL_NAME, PARQUET_NAME
from agentscaler.jsonl import (
    iter_json_lines,
    named,
    read_json,
    read_records,
    write_json,
    write_records,
)
from agentscaler.records import Domain, Verdict
from agentscaler.records.dataset import (
    SPLITS,
    DatasetManifest,
    HeldOutTask,
    InputStats,
    LengthSettings,
    ShareGptStats,
    Split,
)
from agentscaler.runlock import run_lock
from agentscaler.workspace import Workspace, fingerprint

log = logging.getLogger(__name__)

STAGE = "export"
_FORMAT_VERSION = 2
MANIFEST_NAME = "manifest.json"
HELDOUT_TASKS_NAME = "tasks.jsonl"


def _input_files(ws: Workspace) -> list[Path]:
    files = [ws.domains, ws.tasks, ws.filtered_dir / "kept.jsonl", *ws.episode_files()]
    files += sorted(ws.worlds_dir.glob("*/tools.json"))
    files += [p for p in (report_path(ws.root),) if p.exists()]
    return files


def export_fingerprint(ws: Workspace, config: ExportConfig) -> str:
    """Settings plus size and modification time of every input file."""
    stats = []
    for path in _input_files(ws):
        st = path.stat()
        stats.append([str(path.relative_to(ws.root)), st.st_size, st.st_mtime_ns])
    return fingerprint(
        {"version": _FORMAT_VERSION, "config": config.dataset_settings(), "inputs": stats}
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


def _drain(progress: Any, advance: Callable[[int], None] | None) -> None:
    """Pass the counts reported by workers so far to ``advance``."""
    while True:
        try:
            count = progress.get_nowait()
        except queue.Empty:
            return
        if advance is not None:
            advance(count)


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


def parts_dir(ws: Workspace) -> Path:
    """Where export shards keep their parts until the dataset is complete."""
    return ws.root / f".{ws.dataset_dir.name}.parts"


class _Exporter:
    """One export run: reads the inputs once, then exports the episode files.

    Small exports stream every file through one :class:`PartExporter` into the dataset folder.
    Large ones export each episode file into a part folder in worker processes and merge the
    parts in file order (:func:`merge_parts`); the rows are the same either way.
    """

    def __init__(
        self,
        ws: Workspace,
        config: ExportConfig,
        executor: Executor | None = None,
        tracker: Any = None,
        stamp: str = "",
    ) -> None:
        self.ws = ws
        self.config = config
        self.stamp = stamp
        """The export's fingerprint (settings and inputs): an export shard finished under it is
        kept by a rerun."""
        self.executor = executor
        self.tracker = tracker
        domains = read_records(ws.domains, Domain)
        self.names = {d.id: d.name for d in domains}
        self.task_domains = _task_domains(ws.tasks)
        self.kept = _kept_verdicts(ws.filtered_dir / "kept.jsonl")
        self.decontaminated = self._leave_out_flagged(config)
        self.stage2_auto = not config.stage2_domains
        if self.stage2_auto:
            training = Counter(
                v.domain_id
                for v in self.kept.values()
                if v.domain_id in self.names
                and not is_heldout(v.task_id, config.heldout_fraction, config.seed)
            )
            self.stage2 = frozenset(auto_stage2_domains(training, config.stage2_auto))
        else:
            selection = resolve_stage2_domains(config.stage2_domains, domains)
            self.stage2 = frozenset(d for ids in selection.values() for d in ids)
        self.lengths = self._length_settings()
        self.context = ExportContext(
            root=str(ws.root),
            config=config,
            names=self.names,
            stage2=self.stage2,
            task_ids=frozenset(self.task_domains),
            kept=frozenset(self.kept),
            measure=self.lengths.measured,
        )
        self.result = PartResult()

    def _length_settings(self) -> LengthSettings:
        from agentscaler.errors import MissingDependencyError
        from agentscaler.export.lengths import TEMPLATE_NAME, TOKENIZER_NAME, LengthMeter

        if not self.config.measure_tokens:
            return LengthSettings(measured=False, note="measure_tokens is off")
        try:
            LengthMeter(self.config.max_tokens, self.config.seed)
        except MissingDependencyError as exc:
            log.warning("rows are exported without token counts or fitting: %s", exc)
            return LengthSettings(measured=False, note=str(exc))
        return LengthSettings(
            measured=True,
            tokenizer=TOKENIZER_NAME,
            template=TEMPLATE_NAME,
            budget=self.config.max_tokens,
        )

    def _leave_out_flagged(self, config: ExportConfig) -> int:
        """Drop kept episodes of tasks flagged by ``agentscaler decontam``; their number."""
        report = read_report(self.ws.root) if config.decontaminate else None
        if report is None or not report.flagged_tasks:
            return 0
        flagged = set(report.flagged_tasks)
        before = len(self.kept)
        self.kept = {e: v for e, v in self.kept.items() if v.task_id not in flagged}
        log.info(
            "left out %d kept episodes of tasks overlapping a benchmark", before - len(self.kept)
        )
        return before - len(self.kept)

    @property
    def parts_dir(self) -> Path:
        return parts_dir(self.ws)

    @property
    def inputs(self) -> Counter[str]:
        counts = Counter(kept_verdicts=len(self.kept) + self.decontaminated)
        return counts + Counter(decontaminated=self.decontaminated) + self.result.inputs

    def write(self, folder: Path, advance: Callable[[int], None] | None) -> ShareGptStats | None:
        paths = self.ws.episode_files()
        if self.executor is not None:
            self._write_with_executor(paths, folder, self.executor, advance)
        elif self._workers(len(paths)) == 1:
            self.result = PartExporter(self.context, folder).run(paths, advance)
        else:
            self._write_parts(paths, folder, self._workers(len(paths)), advance)
        self._check_all_found()
        write_records(folder / "heldout" / HELDOUT_TASKS_NAME, self.heldout_tasks())
        return self.result.share

    def _workers(self, files: int) -> int:
        if len(self.kept) < PARALLEL_MIN_EPISODES:
            return 1
        wanted = self.config.workers or os.cpu_count() or 1
        return max(1, min(wanted, files))

    def _write_parts(
        self,
        paths: list[Path],
        folder: Path,
        workers: int,
        advance: Callable[[int], None] | None,
    ) -> None:
        chunks = file_chunks(paths, workers)
        parts = [folder / ".parts" / f"{index:05d}" for index in range(len(chunks))]
        context = get_context("spawn")
        progress = context.Queue()
        if advance is not None:
            # Never report more than the kept episodes (copies in two files count twice here).
            left = len(self.kept)
            report = advance

            def advance(count: int) -> None:
                nonlocal left
                count = min(count, left)
                left -= count
                report(count)

        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=init_worker, initargs=(progress,)
        ) as pool:
            futures = [
                pool.submit(export_part, self.context, [str(p) for p in chunk], str(part))
                for chunk, part in zip(chunks, parts, strict=True)
            ]
            pending = set(futures)
            while pending:
                _, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                _drain(progress, advance)
            results = [future.result() for future in futures]
        _drain(progress, advance)
        self._merge(chunks, parts, results, folder)

    def _write_with_executor(
        self,
        paths: list[Path],
        folder: Path,
        executor: Executor,
        advance: Callable[[int], None] | None,
    ) -> None:
        """One shard per episode file on ``executor``; parts merged in file order."""
        tracker = self.tracker
        if len(self.kept) < PARALLEL_MIN_EPISODES or len(paths) < 2:
            if tracker is not None:
                tracker.plan(1, len(self.kept))
            self.result = PartExporter(self.context, folder).run(paths, advance)
            if tracker is not None:
                tracker.done(len(self.kept))
            return
        chunks = [[path] for path in paths]
        root = self.parts_dir
        parts = [root / f"{index:05d}" for index in range(len(chunks))]
        results: dict[int, PartResult] = {}
        jobs: list[ShardJob[ExportShard]] = []
        for index, path in enumerate(paths):
            stamp = fingerprint({"export": self.stamp, "file": path.name, "index": index})
            if shard_done(root, index, stamp):
                results[index] = read_part_result(root, index)  # finished by an earlier run
                continue
            shutil.rmtree(parts[index], ignore_errors=True)
            payload = ExportShard(self.context, (str(path),), str(root), index, stamp)
            jobs.append(ShardJob(index, (path.name,), payload))
        if results:
            log.info("export: %d of %d shards finished before; reused", len(results), len(paths))
        left = len(self.kept)

        def count(result: PartResult) -> int:
            nonlocal left
            found = min(len(result.seen), left)  # copies in two files count once
            left -= found
            return found

        reused = sum(count(results[i]) for i in sorted(results))
        if tracker is not None:
            tracker.plan(len(paths), len(self.kept))
            tracker.done(reused, shards=len(results))
        if advance is not None and reused:
            advance(reused)

        def done(job: ShardJob[ExportShard], result: PartResult) -> None:
            results[job.index] = result
            found = count(result)
            if advance is not None:
                advance(found)
            if tracker is not None:
                tracker.done(found)

        outcome = executor.map("export", export_shard, jobs, done)
        if outcome.failures:
            failed = outcome.failures[0]
            raise ShardsFailedError(
                f"{len(outcome.failures)} export shard(s) failed (first: episode file "
                f"{failed.records[0]}: {failed.error}); the previous dataset is kept. Run the "
                "same command again: the finished shards are kept.",
                outcome.failures,
            )
        self._merge(chunks, parts, [results[i] for i in range(len(chunks))], folder)

    def _merge(
        self,
        chunks: list[list[Path]],
        parts: list[Path],
        results: list[PartResult],
        folder: Path,
    ) -> None:
        seen: set[str] = set()
        for index, chunk in enumerate(chunks):
            result = results[index]
            repeated = seen.intersection(result.seen)
            if repeated:
                # Episodes already exported from earlier files: redo this part without them.
                log.info("%s repeats %d episode(s) of earlier files", chunk[0], len(repeated))
                shutil.rmtree(parts[index])
                exporter = PartExporter(self.context, parts[index], part=True, exclude=repeated)
                result = exporter.run(chunk)
            seen.update(result.seen)
            self.result.merge(result)
        merge_parts(parts, folder, self.config)
        if (folder / ".parts").exists():
            shutil.rmtree(folder / ".parts")

    def _check_all_found(self) -> None:
        exported = set(self.result.seen)
        missing = [episode_id for episode_id in self.kept if episode_id not in exported]
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
        heldout_kept = self.result.heldout_kept
        for verdict in self.kept.values():
            if verdict.task_id in heldout_kept:
                domains.setdefault(verdict.task_id, verdict.domain_id)
        return [
            HeldOutTask(task_id=t, domain_id=d, kept_episodes=heldout_kept[t])
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
                "swift": f"{SWIFT_DIR}/{split}.jsonl",
            }
            return {fmt: names[fmt] for fmt in formats}

        budget = self.config.max_tokens if self.lengths.measured else None

        return DatasetManifest(
            fingerprint=stamp,
            heldout_fraction=self.config.heldout_fraction,
            seed=self.config.seed,
            formats=formats,
            stage2_keywords=self.config.stage2_domains,
            stage2_domains=tuple(sorted(self.stage2)),
            stage2_auto=self.stage2_auto,
            heldout_tasks=heldout_tasks,
            splits={s: self.result.counters[s].stats(self.names, files(s), budget) for s in SPLITS},
            input=InputStats(**self.inputs),
            sharegpt=share,
            swift=self.result.swift,
            lengths=self.lengths,
            columns=COLUMN_NOTES,
        )


def export_dataset(
    root: Path,
    config: ExportConfig | None = None,
    *,
    force: bool = False,
    advance: Callable[[int], None] | None = None,
    executor: Executor | None = None,
    tracker: Any = None,
) -> DatasetManifest:
    """Export the kept episodes of run folder ``root`` into ``root/dataset``.

    Returns the manifest (the existing one when the dataset is already up to date and ``force``
    is false). ``advance(n)`` is called as kept episodes are processed, for a progress bar whose
    total is :func:`count_kept`. With ``executor``, each episode file is a shard run on it
    (``tracker`` follows them); without, ``config.workers`` local processes.
    """
    config = config or ExportConfig()
    ws = Workspace(root)
    with run_lock(ws.root):
        try:
            return _export_dataset(ws, config, force, advance, executor, tracker)
        except OSError as exc:  # pyarrow's write errors name no file
            raise named(exc, ws.dataset_dir) from exc


def _export_dataset(
    ws: Workspace,
    config: ExportConfig,
    force: bool,
    advance: Callable[[int], None] | None,
    executor: Executor | None = None,
    tracker: Any = None,
) -> DatasetManifest:
    root = ws.root
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

    exporter = _Exporter(ws, config, executor, tracker, stamp)
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
    shutil.rmtree(parts_dir(ws), ignore_errors=True)
    ws.mark_done(
        STAGE,
        fingerprint=stamp,
        settings=config.dataset_settings(),
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
