"""The run folder: where each stage reads and writes, and which stages are finished.

Layout (see DESIGN.md)::

    runs/<name>/
      run.json          resolved config of the run
      tools.jsonl       ToolSpec records;  tools.rejects.jsonl beside it
      graph/            embeddings cache, edges, stats
      domains.jsonl     Domain records
      worlds/<domain>/  schema.sql, tools.py, seed.sqlite, tools.json, world.json
      states/           initial databases referenced by tasks, by hash
      tasks.jsonl       Task records
      episodes/         Episode records, sharded, append-only
      filtered/         kept.jsonl, rejected.jsonl (Verdicts), funnel.json
      dataset/          stage1/, stage2/, heldout/ in Parquet and JSON Lines
      report/           index.html, PNG plots, summary.json
      .stages/<stage>.json   completion markers
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentscaler.canonical import content_hash
from agentscaler.errors import RunFolderError
from agentscaler.jsonl import read_json, write_json

STAGES = ("ingest", "domains", "worlds", "tasks", "simulate", "filter", "export", "report")

_PRODUCER = {
    "ingest": "agentscaler tools import SOURCE... --out DIR/tools.jsonl",
    "domains": "agentscaler domains build --tools FILE --out DIR",
    "worlds": "agentscaler worlds build DIR",
    "tasks": "agentscaler tasks sample DIR",
    "simulate": "agentscaler simulate DIR",
    "filter": "agentscaler filter DIR",
    "export": "agentscaler export DIR",
    "report": "agentscaler eval report DIR",
}


@dataclass(frozen=True)
class Workspace:
    """Paths of one run folder. Creating the object touches nothing on disk."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    # --- files and folders ----------------------------------------------------------------------
    @property
    def run_json(self) -> Path:
        return self.root / "run.json"

    @property
    def tools(self) -> Path:
        return self.root / "tools.jsonl"

    @property
    def tool_rejects(self) -> Path:
        return rejects_path(self.tools)

    @property
    def graph_dir(self) -> Path:
        return self.root / "graph"

    @property
    def domains(self) -> Path:
        return self.root / "domains.jsonl"

    @property
    def worlds_dir(self) -> Path:
        return self.root / "worlds"

    def world_dir(self, domain_id: str) -> Path:
        return self.worlds_dir / domain_id

    @property
    def states_dir(self) -> Path:
        return self.root / "states"

    def state_file(self, state_hash: str) -> Path:
        return self.states_dir / f"{state_hash}.sqlite"

    @property
    def tasks(self) -> Path:
        return self.root / "tasks.jsonl"

    @property
    def episodes_dir(self) -> Path:
        return self.root / "episodes"

    def episode_files(self) -> list[Path]:
        """The episode shards (``episodes/*.jsonl``) in a stable order; none before simulation."""
        if not self.episodes_dir.is_dir():
            return []
        return sorted(p for p in self.episodes_dir.glob("*.jsonl") if p.is_file())

    @property
    def filtered_dir(self) -> Path:
        return self.root / "filtered"

    @property
    def dataset_dir(self) -> Path:
        return self.root / "dataset"

    @property
    def report_dir(self) -> Path:
        return self.root / "report"

    @property
    def markers_dir(self) -> Path:
        return self.root / ".stages"

    # --- checks ---------------------------------------------------------------------------------
    def require(self, path: Path, stage: str) -> Path:
        """Return ``path`` if it exists, else explain which command produces it."""
        if not path.exists():
            raise RunFolderError(
                f"{path} is missing: the {stage!r} stage has not run in {self.root}. "
                f"Run `{_PRODUCER.get(stage, stage)}` first."
            )
        return path

    # --- stage completion markers ---------------------------------------------------------------
    def marker_path(self, stage: str) -> Path:
        return self.markers_dir / f"{stage}.json"

    def stage_done(self, stage: str, fingerprint: str | None = None) -> bool:
        """True when ``stage`` finished (with the same settings, if ``fingerprint`` is given)."""
        path = self.marker_path(stage)
        if not path.exists():
            return False
        marker = read_json(path)
        return fingerprint is None or marker.get("fingerprint") == fingerprint

    def mark_done(
        self, stage: str, *, fingerprint: str = "", summary: dict[str, Any] | None = None
    ) -> None:
        write_json(
            self.marker_path(stage),
            {
                "stage": stage,
                "fingerprint": fingerprint,
                "finished_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
                "summary": summary or {},
            },
        )

    def clear_marker(self, stage: str) -> None:
        self.marker_path(stage).unlink(missing_ok=True)

    def marker(self, stage: str) -> dict[str, Any] | None:
        path = self.marker_path(stage)
        return read_json(path) if path.exists() else None


def rejects_path(output: Path) -> Path:
    """The rejects file written beside an output file: ``pool.jsonl`` -> ``pool.rejects.jsonl``."""
    output = Path(output)
    stem = output.name[: -len(".jsonl")] if output.name.endswith(".jsonl") else output.stem
    return output.with_name(f"{stem}.rejects.jsonl")


def fingerprint(settings: Any) -> str:
    """A short hash of a stage's settings, to tell whether finished work is still valid."""
    return content_hash(settings, length=16)
