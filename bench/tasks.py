"""Throughput of task synthesis on the built-in worlds (run in its own process).

    python bench/tasks.py [--run DIR] [--per-domain 40] [--embedder hash|minilm]

Without ``--run`` it builds a run folder from the built-in catalog in a temporary directory
(``agentscaler domains build --tools builtin --embedder hash`` then ``agentscaler worlds build``).
For every world it measures, in CPU seconds of this process (so the figures are per core even
on a busy machine):

* states: seeding the domain's initial states (the worlds' Faker seeding), states/s;
* synthesis: walks, argument grounding, executed calls, facts, intents and Task records with the
  states ready, tasks/s and executed calls per task;
* baseline (measured in the same run): executed tool calls with arguments from the worlds' own
  sampler on the same states, calls/s; the ratio column is the synthesis cost per gold call
  over the cost of one such raw call.

Then it runs the whole stage (``sample_tasks``) on a copy of the run folder in a fresh process,
as ``agentscaler tasks sample`` runs it, and prints its end-to-end tasks/s (world loading, states,
synthesis and writing included).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def build_run(root: Path, embedder: str) -> None:
    from typer.testing import CliRunner

    from agentscaler.cli.app import app

    runner = CliRunner()
    for args in (
        ["domains", "build", "--tools", "builtin", "--out", str(root), "--embedder", embedder],
        ["worlds", "build", str(root), "-j", "2"],
    ):
        result = runner.invoke(app, args)
        if result.exit_code != 0:
            sys.exit(f"`agentscaler {' '.join(args)}` failed:\n{result.output}")


def raw_calls(world, states, calls: int) -> float:
    """CPU seconds per executed call with sampled arguments (the baseline)."""
    from agentscaler.worlds.runtime.env import WorldEnv
    from agentscaler.worlds.seeding.sampling import ArgumentSampler

    env = WorldEnv(world)
    sampler = ArgumentSampler(env)
    rng = random.Random(0)
    names = world.tool_names
    started = time.process_time()
    for index in range(calls):
        if index % 5 == 0:
            env.restore(states[(index // 5) % len(states)].snapshot)
        env.step((names[index % len(names)], sampler.sample(names[index % len(names)], rng)))
    spent = time.process_time() - started
    env.close()
    return spent / calls


def whole_stage(run: Path, per_domain: int | None) -> tuple[int, float, float]:
    """``(tasks, CPU seconds, wall seconds)`` of ``sample_tasks`` on ``run`` in a new process."""
    code = (
        "import json, sys, time\n"
        "from pathlib import Path\n"
        "from agentscaler.tasks import TaskConfig, sample_tasks\n"
        "from agentscaler.workspace import Workspace\n"
        "per = json.loads(sys.argv[2])\n"
        "config = TaskConfig(**({'per_domain': per} if per else {}))\n"
        "wall, cpu = time.perf_counter(), time.process_time()\n"
        "result = sample_tasks(Workspace(Path(sys.argv[1])), config, force=True)\n"
        "cpu, wall = time.process_time() - cpu, time.perf_counter() - wall\n"
        "print(json.dumps([result.summary['tasks'], cpu, wall]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(run), json.dumps(per_domain)],
        check=True,
        capture_output=True,
        text=True,
    )
    made, cpu, wall = json.loads(out.stdout.strip().splitlines()[-1])
    return int(made), float(cpu), float(wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, help="run folder with domains.jsonl and worlds/")
    parser.add_argument("--per-domain", type=int, default=None, help="tasks per domain")
    parser.add_argument("--embedder", default="hash", choices=("hash", "minilm"))
    args = parser.parse_args()

    from agentscaler.jsonl import read_records
    from agentscaler.records import Domain
    from agentscaler.tasks import TaskConfig, synthesize_domain
    from agentscaler.tasks.states import make_states
    from agentscaler.workspace import Workspace
    from agentscaler.worlds.runtime.loader import load_world

    config = TaskConfig(**({"per_domain": args.per_domain} if args.per_domain else {}))
    scratch = Path(tempfile.mkdtemp(prefix="agentscaler-bench-tasks-"))
    try:
        run = args.run
        if run is None:
            run = scratch / "run"
            print(f"building the built-in run folder in {run} ...", flush=True)
            build_run(run, args.embedder)
        domains = read_records(Workspace(run).domains, Domain)
        state_cpu = synth_cpu = synth_wall = raw_cpu = 0.0
        tasks = calls = states_made = 0
        print(f"{'domain':34s} {'tables':>6s} {'tasks':>5s} {'tasks/s':>8s} {'calls/task':>10s}")
        for domain in domains:
            world = load_world(Workspace(run).world_dir(domain.id))
            started = time.process_time()
            states = make_states(world, config)
            state_cpu += time.process_time() - started
            states_made += len(states)
            wall, started = time.perf_counter(), time.process_time()
            result = synthesize_domain(world, domain, config)
            spent = time.process_time() - started
            synth_wall += time.perf_counter() - wall
            synth_cpu += spent
            made = len(result.tasks)
            tasks += made
            calls += sum(len(t.gold_calls) for t in result.tasks)
            raw_cpu += raw_calls(world, states, 100) * 100
            rate = made / spent if spent else 0.0
            per_task = sum(len(t.gold_calls) for t in result.tasks) / max(1, made)
            print(
                f"{domain.id[:34]:34s} {len(world.world.tables):6d} {made:5d} {rate:8.1f} {per_task:10.2f}"
            )
        raw_per_call = raw_cpu / (100 * len(domains))
        synth_per_call = synth_cpu / max(1, calls)
        print()
        print(f"worlds: {len(domains)}, tasks: {tasks}, gold calls: {calls}")
        print(
            f"synthesis:   {tasks / synth_cpu:8.1f} tasks/s per core (CPU time; "
            f"{tasks / synth_wall:.1f} tasks/s wall clock)"
        )
        print(
            f"states:      {states_made / state_cpu:8.1f} states/s per core "
            f"({states_made} states, {state_cpu:.1f} s CPU)"
        )
        print(f"baseline:    {1 / raw_per_call:8.1f} raw sampled calls/s per core")
        print(
            f"ratio:       {synth_per_call / raw_per_call:8.2f} x the cost of a raw call per gold call"
        )
        stage_dir = scratch / "stage"
        shutil.copytree(
            run, stage_dir, ignore=shutil.ignore_patterns("states", ".tasks", "tasks.jsonl")
        )
        # in a fresh process, as `agentscaler tasks sample` runs it (this one holds every world)
        made, spent, wall = whole_stage(stage_dir, args.per_domain)
        print(
            f"whole stage: {made / spent:8.1f} tasks/s per core end to end ({made} tasks, "
            f"{spent:.1f} s CPU, {wall:.1f} s wall, own process; seeding states included)"
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
