"""Run every stage into one run folder, skipping the stages already finished there.

``run.json`` holds the resolved settings of the run. A rerun takes its settings from there;
settings given again must agree with it (a run folder never mixes the outputs of two settings),
so resuming after a crash or a stop is just running the same command again.

The run holds the folder's lock (:mod:`agentscaler.runlock`) from start to end. Before skipping a
stage it checks the stage's completion marker against the folder (:mod:`agentscaler.markers`):

* a stage whose recorded settings differ from ``run.json`` stops the run with a message naming
  the setting, the two values and the two ways out (``run.json`` was edited, or a stage was run
  on its own with other options): the folder never claims settings it was not made with;
* a stage whose files, or the files it read, changed since it finished (a torn episode line, a
  garbage database, a deleted state, a stage redone upstream) runs again: it redoes only what no
  longer matches, and every later stage follows;
* otherwise the stage is skipped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from rich.console import Console

from agentscaler import markers
from agentscaler.errors import ConfigError, RunFolderError
from agentscaler.execution import ExecutionConfig, Executor, make_executor
from agentscaler.execution.memory import PeakRss
from agentscaler.execution.tracking import StageTracker
from agentscaler.jsonl import read_json, write_json
from agentscaler.pipeline.config import RunConfig
from agentscaler.pipeline.stages import STAGES, Stage, StageContext, ingest_inputs
from agentscaler.pipeline.status import RunStatus, settings_of
from agentscaler.runlock import LOCK_NAME, run_lock
from agentscaler.workspace import Workspace

log = logging.getLogger(__name__)

STAGE_NAMES = tuple(s.name for s in STAGES)


@dataclass(frozen=True)
class StageOutcome:
    name: str
    status: str
    """``ran``, ``redone`` (finished before, but its files no longer matched), ``skipped``
    (finished by an earlier run, checked) or ``incomplete`` (shards failed on every attempt;
    redone by a rerun)."""
    seconds: float
    summary: dict[str, Any]


@dataclass
class RunOutcome:
    root: Path
    config: RunConfig
    stages: list[StageOutcome] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return [s.name for s in self.stages] == list(STAGE_NAMES) and all(
            s.status != "incomplete" for s in self.stages
        )

    def partial_failures(self) -> list[str]:
        """What some records lost on the way (the run is usable): for exit status 3."""
        figures = {s.name: s.summary for s in self.stages}
        losses = []
        rejected = (figures.get("ingest") or {}).get("rejected") or 0
        if rejected:
            losses.append(
                f"{rejected} tool record(s) were rejected (see {self.root / 'tools.rejects.jsonl'})"
            )
        failed = (figures.get("worlds") or {}).get("failed") or 0
        if failed:
            losses.append(
                f"{failed} world(s) failed conformance and were left out (see "
                f"{self.root / 'worlds' / 'summary.json'})"
            )
        for stage in self.stages:
            failed = stage.summary.get("shard_failures") or []
            if failed:
                records = sum(f["record_count"] for f in failed)
                losses.append(
                    f"{len(failed)} shard(s) of {stage.name} ({records} record(s)) failed on every "
                    "attempt (run the same command again to redo them)"
                )
        lost = (figures.get("simulate") or {}).get("infrastructure_failures") or 0
        if lost:
            losses.append(
                f"{lost} episode(s) failed for infrastructure reasons (run the same command "
                "again to retry them)"
            )
        return losses


def _merge(base: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def resolve_config(ws: Workspace, overrides: Mapping[str, Any]) -> tuple[RunConfig, bool]:
    """The run's settings and whether ``run.json`` already existed.

    ``overrides`` is a nested dict of the settings given on the command line (stage sections such
    as ``{"tasks": {"per_domain": 5}}``). For a new run folder they apply on top of the defaults;
    for an existing one they must equal what ``run.json`` holds.
    """
    if not ws.run_json.exists():
        try:
            return RunConfig.model_validate(_merge({}, overrides)), False
        except ValidationError as exc:
            raise ConfigError(f"invalid run settings: {exc}") from exc
    data = settings_of(read_json(ws.run_json))
    try:
        stored = RunConfig.model_validate(data)
    except ValidationError as exc:
        raise RunFolderError(
            f"{ws.run_json} does not hold valid run settings ({exc.error_count()} problem(s), "
            f"first: {exc.errors()[0]['msg']}). It was written by another version or edited: "
            "start a new run folder with --out."
        ) from exc
    try:
        wanted = RunConfig.model_validate(_merge(stored.model_dump(mode="json"), overrides))
    except ValidationError as exc:
        raise ConfigError(f"invalid run settings: {exc}") from exc
    changed = stored.differences(wanted)
    if changed:
        raise ConfigError(
            f"{ws.root} was started with other settings ({', '.join(changed)} differ from "
            f"{ws.run_json}). Rerun without those options to resume it, or pass another --out "
            "for a new run."
        )
    return stored, True


def run_pipeline(
    root: Path | str,
    overrides: Mapping[str, Any] | None = None,
    *,
    stop_after: str | None = None,
    console: Console | None = None,
    execution: ExecutionConfig | None = None,
) -> RunOutcome:
    """Run (or resume) every stage in ``root``; stop after ``stop_after`` if given.

    ``execution`` says where the heavy stages run their shards (default: local processes, one
    per core); it decides speed only, so a run may be resumed on another executor.
    """
    execution = execution or ExecutionConfig()
    console = console or Console()
    if stop_after is not None and stop_after not in STAGE_NAMES:
        raise ConfigError(f"unknown stage {stop_after!r}; stages: {', '.join(STAGE_NAMES)}")
    ws = Workspace(Path(root))
    config, resumed = resolve_config(ws, overrides or {})
    if ws.root.exists() and not resumed and any(p.name != LOCK_NAME for p in ws.root.iterdir()):
        raise RunFolderError(
            f"{ws.root} is not empty and has no run.json: it is not a run folder made by "
            "`agentscaler run`. Pass another --out."
        )
    with run_lock(ws.root, create=True):
        config, resumed = resolve_config(ws, overrides or {})  # as it is now the folder is ours
        if not resumed:
            write_json(ws.run_json, config.model_dump(mode="json"))
        outcome = RunOutcome(root=ws.root, config=config)
        if resumed:
            console.print(f"resuming the run in {ws.root}", highlight=False)
        executor = make_executor(execution)
        status: RunStatus | None = None
        try:
            for stage in STAGES:
                if status is None and not _finished(ws, config, stage):
                    status = RunStatus(ws, execution, executor.workers)
                outcome.stages.append(
                    _stage(ws, config, stage, console, StageRun(executor, execution, status))
                )
                if stage.name == stop_after:
                    break
        except BaseException:
            if not resumed and not outcome.stages:
                # nothing was made with these settings: a corrected command may start afresh
                ws.run_json.unlink(missing_ok=True)
            raise
        finally:
            executor.close()
    return outcome


def _finished(ws: Workspace, config: RunConfig, stage: Stage) -> bool:
    """Whether ``stage`` is finished and checked (a quick look before the status is opened)."""
    extra = ingest_inputs(config) if stage.name == "ingest" else None
    return markers.check(
        ws.root, stage.name, settings=stage.settings(config), extra_inputs=extra
    ).done


@dataclass(frozen=True)
class StageRun:
    """Where a stage's shards run and where its progress goes."""

    executor: Executor
    execution: ExecutionConfig
    status: RunStatus | None


def _stage(
    ws: Workspace, config: RunConfig, stage: Stage, console: Console, where: StageRun
) -> StageOutcome:
    settings = stage.settings(config)
    extra = ingest_inputs(config) if stage.name == "ingest" else None
    check = markers.check(ws.root, stage.name, settings=settings, extra_inputs=extra)
    if check.changed_settings:
        section = config.model_dump(mode="json")
        for part in filter(None, stage.section.split(".")):
            section = section.get(part) or {}
        edited = [c for c in check.changed_settings if c[0].split(".")[0] in section]
        if edited:
            raise ConfigError(_disagreement(ws, stage, edited))
        # only settings run.json does not hold differ (a new release's defaults): redo the stage
    figures = ((check.marker or {}).get("summary") or {}).get("pipeline") or {}
    retry = figures.get("infrastructure_failures") or 0
    if check.done and retry:
        check = markers.Check(
            stage.name,
            check.marker,
            (f"{retry} episode(s) failed for infrastructure reasons and are retried",),
        )
    if check.done:
        console.print(
            f"[dim]{stage.name}: finished earlier, skipped (its files checked)[/]", highlight=False
        )
        return StageOutcome(stage.name, "skipped", float(figures.get("seconds", 0.0)), figures)
    status = "ran"
    if check.marker is not None:
        status = "redone"
        console.print(
            f"[yellow]{stage.name}: finished earlier, but {check.reason}; running it again[/]",
            highlight=False,
        )
        log.info("%s: stage %s runs again: %s", ws.root, stage.name, check.reason)
    console.rule(f"[bold]{stage.name}[/]: {stage.title}")
    started = time.perf_counter()
    run_status = where.status
    tracker = StageTracker(
        stage.name,
        console=Console(stderr=True),
        on_change=run_status.update if run_status is not None else None,
    )
    context = StageContext(console, where.executor, where.execution, tracker)
    try:
        with PeakRss() as peak, tracker:
            summary = stage.run(ws, config, context)
    except BaseException:
        if run_status is not None:
            run_status.finish(stage.name, "failed", {**tracker.status(), **peak.to_json()})
        raise
    seconds = time.perf_counter() - started
    figures = {**tracker.status(), **peak.to_json(), "seconds": round(seconds, 2)}
    figures.pop("stage", None)
    failures = summary.get("shard_failures") or []
    if failures:
        _report_failures(console, stage, failures)
        if run_status is not None:
            run_status.finish(stage.name, "incomplete", {**figures, "shard_failures": failures})
        log.error("stage %s left %d shard(s) unfinished", stage.name, len(failures))
        return StageOutcome(stage.name, "incomplete", seconds, summary)
    if run_status is not None:
        run_status.finish(stage.name, "done", {**figures, "shard_failures": []})
    own = ws.marker(stage.name) or {}  # keep the stage's own fingerprint and summary
    ws.mark_done(
        stage.name,
        fingerprint=own.get("fingerprint", ""),
        settings=settings,
        extra_inputs=extra,
        summary={
            **(own.get("summary") or {}),
            "pipeline": {**summary, "seconds": round(seconds, 2), "peak_rss_mib": peak.mib},
        },
    )
    log.info("stage %s finished in %.1f s: %s", stage.name, seconds, summary)
    return StageOutcome(stage.name, status, seconds, summary)


def _report_failures(console: Console, stage: Stage, failures: list[dict[str, Any]]) -> None:
    console.print(
        f"[red]{stage.name}: {len(failures)} shard(s) failed on every attempt and are left "
        "unfinished (the run goes on; run the same command again to redo them):[/]",
        highlight=False,
    )
    for failure in failures[:10]:
        shown = ", ".join(failure["records"][:5])
        more = failure["record_count"] - min(5, len(failure["records"]))
        console.print(
            f"  shard {failure['shard']}: {failure['error']}; records {shown}"
            + (f" and {more} more" if more > 0 else ""),
            highlight=False,
        )


def _disagreement(ws: Workspace, stage: Stage, changed: list[tuple[str, Any, Any]]) -> str:
    """The message for a stage whose recorded settings differ from run.json's."""
    name, recorded, wanted = changed[0]
    dotted = f"{stage.section}.{name}" if stage.section else name
    more = len(changed) - 1
    others = f" (and {more} more setting{'s' if more > 1 else ''})" if more else ""
    return (
        f"{ws.run_json} disagrees with the data in {ws.root}: the {stage.name} stage ran with "
        f"{dotted} = {recorded!r}, but run.json says {wanted!r}{others}. "
        f"To resume this run, set it back to {recorded!r} in run.json; to use {wanted!r}, "
        "start a new run folder with another --out."
    )
