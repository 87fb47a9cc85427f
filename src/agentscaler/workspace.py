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
      .stages/<stage>.json   completion markers (see :mod:`agentscaler.markers`)
      .lock             held by the command writing here (see :mod:`agentscaler.runlock`)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentscaler import markers
from agentscaler.canonical import content_hash
from agentscaler.errors import RunFolderError

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

    def rerun_command(self, stage: str) -> str:
        """The command that redoes ``stage``'s missing or damaged work in this folder: ``run``
        for a folder made by ``agentscaler run`` (it keeps the run's settings), else the
        stage's own command."""
        if self.run_json.exists():
            return f"agentscaler run --out {self.root}"
        return _PRODUCER.get(stage, stage).replace("DIR", str(self.root))

    # --- stage completion markers ---------------------------------------------------------------
    def marker_path(self, stage: str) -> Path:
        return self.markers_dir / f"{stage}.json"

    def stage_done(
        self, stage: str, fingerprint: str | None = None, *, settings: Any = None
    ) -> bool:
        """True when ``stage`` finished and its marker still matches the folder: the files it
        wrote and read are unchanged (and the settings or ``fingerprint``, when given)."""
        return self.stage_check(stage, fingerprint, settings=settings).done

    def stage_check(
        self, stage: str, fingerprint: str | None = None, *, settings: Any = None
    ) -> markers.Check:
        """Whether ``stage``'s marker still matches the folder, and if not, why."""
        return markers.check(self.root, stage, settings=settings, fingerprint=fingerprint)

    def mark_done(
        self,
        stage: str,
        *,
        fingerprint: str = "",
        summary: dict[str, Any] | None = None,
        settings: Any = None,
        extra_inputs: Mapping[str, str] | None = None,
    ) -> None:
        """Record that ``stage`` finished, with the hashes of what it read and wrote."""
        markers.write_marker(
            self.root,
            stage,
            fingerprint=fingerprint,
            settings=settings,
            summary=summary,
            extra_inputs=extra_inputs,
        )

    def clear_marker(self, stage: str) -> None:
        self.marker_path(stage).unlink(missing_ok=True)

    def marker(self, stage: str) -> dict[str, Any] | None:
        return markers.read_marker(self.root, stage)


def rejects_path(output: Path) -> Path:
    """The rejects file written beside an output file: ``pool.jsonl`` -> ``pool.rejects.jsonl``."""
    output = Path(output)
    stem = output.name[: -len(".jsonl")] if output.name.endswith(".jsonl") else output.stem
    return output.with_name(f"{stem}.rejects.jsonl")


def fingerprint(settings: Any) -> str:
    """A short hash of a stage's settings, to tell whether finished work is still valid."""
    return content_hash(settings, length=16)
