"""Throughput of the filter and the export on real offline episodes.

Run: ``python bench/filter.py [--episodes 10000] [--keep DIR]``. Builds a run folder from the
built-in catalog (hashing embedder, offline oracle agent and scripted user; several trials per task
until about N episodes exist), then times, on those episodes:

* baseline: reading and validating the episode files as ``Episode`` records;
* the three-stage filter (``agentscaler filter``): validity, replay on a fresh copy of each task's
  initial state and comparison with the gold state, exact match for read-only tasks;
* the export (``agentscaler export``): Parquet, JSON Lines and ShareGPT with the held-out split
  (one worker process per core from 5,000 kept episodes on);
* filter + export together, the figure the target (>= 1,000 episodes/s on 2 cores) is about.

Wall and CPU seconds are printed (CPU includes worker processes).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(label: str, episodes: int, fn):
    wall, cpu = time.perf_counter(), cpu_seconds()
    result = fn()
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    print(
        f"{label:<28} {episodes / wall:>10,.0f} episodes/s  wall {wall:7.2f} s  cpu {cpu:7.2f} s",
        flush=True,
    )
    return result, wall


def build_run(root: Path, episodes: int) -> None:
    from agentscaler.pipeline.run import run_pipeline

    per_domain = 40
    overrides = {"graph": {"embedder": "hash"}, "tasks": {"per_domain": per_domain}}
    run_pipeline(root, overrides, stop_after="tasks")
    tasks = sum(1 for line in (root / "tasks.jsonl").open() if line.strip())
    trials = max(1, -(-episodes // tasks))
    from agentscaler.simulate.build import simulate
    from agentscaler.simulate.config import SimulateConfig

    simulate(root, SimulateConfig(trials=trials, concurrency=256))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, default=None, help="reuse/keep the run folder here")
    args = parser.parse_args()

    from agentscaler.export.build import export_dataset
    from agentscaler.export.config import ExportConfig
    from agentscaler.filter.stage import iter_episodes, run_filter
    from agentscaler.workspace import Workspace

    tmp = None
    if args.keep is None:
        tmp = Path(tempfile.mkdtemp(prefix="bench-filter-"))
        root = tmp / "run"
    else:
        root = args.keep
    try:
        if not (root / "episodes").exists():
            print(f"building a run folder with ~{args.episodes} offline episodes in {root} ...")
            build_run(root, args.episodes)
        ws = Workspace(root)
        count = sum(1 for _ in iter_episodes(ws))
        print(f"{count} episodes, {os.cpu_count()} cores")
        timed("baseline: read + validate", count, lambda: sum(1 for _ in iter_episodes(ws)))
        result, filter_wall = timed("filter", count, lambda: run_filter(root))
        print(f"  kept {result.funnel.kept} of {result.funnel.episodes}")
        _, export_wall = timed(
            "export", count, lambda: export_dataset(root, ExportConfig(), force=True)
        )
        total = filter_wall + export_wall
        print(f"{'filter + export':<28} {count / total:>10,.0f} episodes/s  wall {total:7.2f} s")
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
