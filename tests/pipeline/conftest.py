"""Helpers of the whole-pipeline tests."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from agentscaler.workspace import Workspace

FAST = ("--embedder", "hash", "--per-domain", "3")
"""Options that keep a whole run small: the hashing embedder and three tasks per domain."""


@pytest.fixture
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def outputs(root: Path) -> dict[str, Path]:
    """The file or folder each stage must leave in a run folder."""
    ws = Workspace(root)
    return {
        "ingest": ws.tools,
        "domains": ws.domains,
        "worlds": ws.worlds_dir / "summary.json",
        "tasks": ws.tasks,
        "simulate": ws.episodes_dir,
        "filter": ws.filtered_dir / "funnel.json",
        "export": ws.dataset_dir / "manifest.json",
        "report": ws.report_dir / "index.html",
    }


def finished_at(root: Path) -> dict[str, str]:
    ws = Workspace(root)
    return {
        p.stem: json.loads(p.read_text())["finished_at"]
        for p in sorted(ws.markers_dir.glob("*.json"))
    }


def stamps(root: Path) -> dict[str, int]:
    """Modification times of every file of the run folder (to prove nothing was rewritten)."""
    return {
        str(p.relative_to(root)): p.stat().st_mtime_ns
        for p in sorted(Path(root).rglob("*"))
        if p.is_file() and ".stages" not in p.parts and p.name != ".lock"
    }


def episode_keys(root: Path) -> list[tuple[str, int]]:
    keys = []
    for path in sorted(Workspace(root).episodes_dir.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                record = json.loads(line)
                keys.append((record["task_id"], record["trial"]))
    return keys


OVERRIDES = {"graph": {"embedder": "hash"}, "tasks": {"per_domain": 3}}
"""The settings of FAST, as ``run_pipeline`` overrides."""


@pytest.fixture(scope="session")
def reference_run(tmp_path_factory) -> Path:
    """A finished, uninterrupted run with the FAST settings (shared: copy it before changing it)."""
    import io

    from rich.console import Console

    from agentscaler.pipeline.run import run_pipeline

    root = tmp_path_factory.mktemp("reference") / "run"
    run_pipeline(root, OVERRIDES, console=Console(file=io.StringIO()))
    return root
