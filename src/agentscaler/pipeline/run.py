"""Run every stage into one run folder, skipping the stages already finished there.

``run.json`` holds the resolved settings of the run. A rerun takes its settings from there;
settings given again must agree with it (a run folder never mixes the outputs of two settings),
so resuming after a crash or a stop is just running the same command again.
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

from agentscaler.errors import ConfigError, RunFolderError
from agentscaler.jsonl import read_json, write_json
from agentscaler.pipeline.config import RunConfig
from agentscaler.pipeline.stages import STAGES
from agentscaler.workspace import Workspace

log = logging.getLogger(__name__)

STAGE_NAMES = tuple(s.name for s in STAGES)


@dataclass(frozen=True)
class StageOutcome:
    name: str
    status: str
    """``ran`` or ``skipped`` (finished by an earlier run)."""
    seconds: float
    summary: dict[str, Any]


@dataclass
class RunOutcome:
    root: Path
    config: RunConfig
    stages: list[StageOutcome] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return [s.name for s in self.stages] == list(STAGE_NAMES)


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
    data = read_json(ws.run_json)
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
) -> RunOutcome:
    """Run (or resume) every stage in ``root``; stop after ``stop_after`` if given."""
    console = console or Console()
    if stop_after is not None and stop_after not in STAGE_NAMES:
        raise ConfigError(f"unknown stage {stop_after!r}; stages: {', '.join(STAGE_NAMES)}")
    ws = Workspace(Path(root))
    config, resumed = resolve_config(ws, overrides or {})
    if ws.root.exists() and not resumed and any(ws.root.iterdir()):
        raise RunFolderError(
            f"{ws.root} is not empty and has no run.json: it is not a run folder made by "
            "`agentscaler run`. Pass another --out."
        )
    ws.root.mkdir(parents=True, exist_ok=True)
    if not resumed:
        write_json(ws.run_json, config.model_dump(mode="json"))
    outcome = RunOutcome(root=ws.root, config=config)
    if resumed:
        console.print(f"resuming the run in {ws.root}", highlight=False)
    for stage in STAGES:
        marker = ws.marker(stage.name)
        if marker is not None:
            figures = (marker.get("summary") or {}).get("pipeline") or {}
            outcome.stages.append(
                StageOutcome(stage.name, "skipped", float(figures.get("seconds", 0.0)), figures)
            )
            console.print(f"[dim]{stage.name}: finished earlier, skipped[/]", highlight=False)
        else:
            console.rule(f"[bold]{stage.name}[/]: {stage.title}")
            started = time.perf_counter()
            summary = stage.run(ws, config, console)
            seconds = time.perf_counter() - started
            own = ws.marker(stage.name) or {}  # keep the stage's own fingerprint
            ws.mark_done(
                stage.name,
                fingerprint=own.get("fingerprint", ""),
                summary={
                    **(own.get("summary") or {}),
                    "pipeline": {**summary, "seconds": round(seconds, 2)},
                },
            )
            outcome.stages.append(StageOutcome(stage.name, "ran", seconds, summary))
            log.info("stage %s finished in %.1f s: %s", stage.name, seconds, summary)
        if stage.name == stop_after:
            break
    return outcome
