"""The run's progress in ``run.json`` (its ``progress`` section, beside the settings).

While ``agentscaler run`` works, ``progress`` says where the run is: the executor, the stage
running, and per stage the shards done of total, records done, records per second, the time
left, seconds, peak resident memory (this process and all its workers) and the shards that
failed with their record ids. It is written at most every few seconds by the stage's tracker
and when a stage ends; the settings beside it are never changed.
"""

from __future__ import annotations

import datetime as _dt
import logging
from typing import Any

from agentscaler.errors import AgentscalerError
from agentscaler.execution.config import ExecutionConfig
from agentscaler.execution.tracking import StageTracker
from agentscaler.jsonl import read_json, write_json
from agentscaler.workspace import Workspace

log = logging.getLogger(__name__)

STATUS_KEY = "progress"


def settings_of(data: Any) -> Any:
    """``run.json``'s content without its progress section: the run's settings."""
    if isinstance(data, dict):
        return {k: v for k, v in data.items() if k != STATUS_KEY}
    return data


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


class RunStatus:
    def __init__(self, ws: Workspace, execution: ExecutionConfig, workers: int) -> None:
        self.ws = ws
        previous: dict[str, Any] = {}
        if ws.run_json.exists():
            try:
                previous = (read_json(ws.run_json) or {}).get(STATUS_KEY) or {}
            except AgentscalerError:
                previous = {}
        self.data: dict[str, Any] = {
            "executor": execution.executor,
            "workers": workers,
            "ray_address": execution.ray_address,
            "stage": None,
            "started_at": _now(),
            "stages": dict(previous.get("stages") or {}),
        }

    def update(self, tracker: StageTracker) -> None:
        """A tracker's figures (called by the tracker as its shards finish)."""
        self.data["stage"] = tracker.stage
        entry = self.data["stages"].setdefault(tracker.stage, {})
        entry.update({k: v for k, v in tracker.status().items() if k != "stage"})
        entry["state"] = "running"
        self.write()

    def finish(self, stage: str, state: str, figures: dict[str, Any]) -> None:
        entry = self.data["stages"].setdefault(stage, {})
        entry.update(figures)
        entry["state"] = state
        entry["finished_at"] = _now()
        self.data["stage"] = None if state != "failed" else stage
        self.write()

    def write(self) -> None:
        try:
            data = read_json(self.ws.run_json)
        except AgentscalerError:
            return
        if not isinstance(data, dict):
            return
        data[STATUS_KEY] = self.data
        write_json(self.ws.run_json, data)
