"""The records of a run folder, comparable between runs: what "identical to an uninterrupted run"
means in ``test_faults.py`` and ``bench/faults.py``.

Every file a stage writes, by content hash, except what records time rather than results:
durations and timestamps inside records, how many worlds a build reused, the progress section
of ``run.json`` (shards, speed, memory), the graph stage's timings (``graph/stats.json``), the
dataset manifest's fingerprint (it hashes input modification times), the report, the embedding
cache and hidden bookkeeping (markers, locks, parts). Episodes are compared one by one (by task
and trial), since the order of appends depends on scheduling.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

VOLATILE = frozenset(
    {"duration_s", "latency_s", "elapsed_s", "finished_at", "started_at", "reused"}
)
SKIPPED = ("graph/embeddings", "graph/stats.json", "report/")


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _digest(value: Any) -> str:
    return hashlib.sha1(json.dumps(value, sort_keys=True).encode()).hexdigest()


def run_records(root: Path) -> dict[str, str]:
    """``{record name: content hash}`` of a run folder."""
    root = Path(root)
    out: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        name = str(path.relative_to(root))
        hidden = any(part.startswith(".") for part in path.relative_to(root).parts)
        if not path.is_file() or hidden or name.startswith(SKIPPED) or name.endswith(".partial"):
            continue
        if name.startswith("episodes/") and path.suffix == ".jsonl":
            for line in path.read_text().splitlines():
                if line.strip():
                    episode = _strip(json.loads(line))
                    out[f"episode {episode['task_id']} {episode['trial']}"] = _digest(episode)
            continue
        if path.suffix == ".json":
            data = _strip(json.loads(path.read_text()))
            if name == "dataset/manifest.json":
                data.pop("fingerprint", None)
            if name == "run.json":
                data.pop("progress", None)  # where the run was, its speed and memory
            out[name] = _digest(data)
            continue
        out[name] = hashlib.sha1(path.read_bytes()).hexdigest()
    return out


def differences(a: dict[str, str], b: dict[str, str]) -> list[str]:
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
