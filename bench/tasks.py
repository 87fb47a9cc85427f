"""Task synthesis on the built-in worlds: throughput and the scenario targets.

    python bench/tasks.py [--run DIR] [--per-domain 40] [--embedder hash|minilm]
                          [--external ../shared/external | --external-run DIR | --no-external]

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

The targets, on the tasks made: the share of tasks with two or more calls and at least one
discovered value (an argument an earlier output supplied that is no user fact), the share of
rule refusals and missing-information scenarios, every task's gold calls replayed to its gold
state, every communicated fact found at its place in the gold outputs; then the tasks of the whole
stage played offline (oracle agent, scripted user): the median number of user turns and the
share of the most common opening and closing phrase. With the external pool (BFCL, Seal-Tools,
ACEBench from ``--external``, or an already built run folder ``--external-run``), its tasks'
share of two-or-more calls with a discovered value.
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


def _cli(*commands: list[str]) -> None:
    from typer.testing import CliRunner

    from agentscaler.cli.app import app
    from agentscaler.cli.common import EXIT_PARTIAL

    runner = CliRunner()
    for args in commands:
        result = runner.invoke(app, args)
        if result.exit_code not in (0, EXIT_PARTIAL):  # some worlds failed their checks, said so
            sys.exit(f"`agentscaler {' '.join(args)}` failed:\n{result.output}")


def build_run(root: Path, embedder: str) -> None:
    _cli(
        ["domains", "build", "--tools", "builtin", "--out", str(root), "--embedder", embedder],
        ["worlds", "build", str(root), "-j", "2"],
    )


def build_external(root: Path, external: Path, embedder: str) -> None:
    sources = [
        str(external / "bfcl"),
        str(external / "seal-tools" / "tool.jsonl"),
        str(external / "acebench" / "data_en"),
    ]
    _cli(
        ["tools", "import", *sources, "--out", str(root / "tools.jsonl")],
        ["domains", "build", "--tools", str(root / "tools.jsonl"), "--out", str(root),
         "--embedder", embedder],
        ["worlds", "build", str(root), "-j", "2"],
    )  # fmt: skip


def check_tasks(run: Path, tasks) -> tuple[int, int]:
    """``(tasks replayed to their gold state, tasks whose communicated facts are all at their
    place in the gold outputs)``."""
    from agentscaler.simulate.policies.script import value_at
    from agentscaler.tasks import replay
    from agentscaler.workspace import Workspace
    from agentscaler.worlds.runtime.loader import load_world

    workspace = Workspace(run)
    worlds = {}
    replayed = told = 0
    for task in tasks:
        world = worlds.get(task.domain_id)
        if world is None:
            world = worlds[task.domain_id] = load_world(workspace.world_dir(task.domain_id))
        state = workspace.state_file(task.initial_state).read_bytes()
        replayed += replay(task, world, state) == task.gold_final_state
        told += all(
            value_at(task.gold_calls[f.call].output, f.path) == f.value for f in task.communicate
        )
    return replayed, told


def dialogues(run: Path):
    """Play the run's tasks offline and return their dialogue statistics."""
    from agentscaler.jsonl import iter_records, read_records
    from agentscaler.records import Episode, Task
    from agentscaler.simulate import SimulateConfig, simulate
    from agentscaler.simulate.dialogue import dialogue_stats
    from agentscaler.workspace import Workspace

    workspace = Workspace(run)
    stats = simulate(run, SimulateConfig())
    episodes = [e for f in workspace.episode_files() for e in iter_records(f, Episode)]
    tasks = {t.id: t for t in read_records(workspace.tasks, Task)}
    return stats, dialogue_stats(episodes, tasks, samples=0)


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
    parser.add_argument(
        "--external",
        type=Path,
        default=Path(__file__).resolve().parents[2] / "shared" / "external",
        help="external data folder (BFCL, Seal-Tools, ACEBench) for the external-pool figure",
    )
    parser.add_argument("--external-run", type=Path, help="an external-pool run folder to reuse")
    parser.add_argument("--no-external", action="store_true", help="skip the external pool")
    args = parser.parse_args()

    from agentscaler.jsonl import read_records
    from agentscaler.records import Domain
    from agentscaler.tasks import TaskConfig, synthesize_domain
    from agentscaler.tasks.states import make_states
    from agentscaler.tasks.summary import task_mix
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
        made_tasks = []
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
            made_tasks += result.tasks
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
        mix = task_mix(made_tasks)
        print()
        print(f"scenarios:   {', '.join(f'{k} {v}' for k, v in mix.scenarios.items())}")
        print(f"lengths:     {', '.join(f'{k}: {v}' for k, v in mix.lengths.items())}")
        print(
            f"targets:     {mix.multi_with_discovery:.1%} of {mix.tasks} tasks have 2+ calls and "
            f"a discovered value (>= 70%); {mix.refusal_or_ask:.1%} are rule refusals or need a "
            f"detail asked for (>= 15%); {mix.discovered_mean:.2f} discovered values per task"
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
        from agentscaler.jsonl import read_records
        from agentscaler.records import Task

        staged = read_records(Workspace(stage_dir).tasks, Task)
        replayed, told = check_tasks(stage_dir, staged)
        print(
            f"gold:        {replayed}/{len(staged)} tasks replay to their gold state; "
            f"{told}/{len(staged)} have every communicated fact in their gold outputs"
        )
        stats, talk = dialogues(stage_dir)
        top_open, top_close = talk.top_openings[0], talk.top_closings[0]
        print(
            f"dialogues:   {talk.episodes} offline episodes, {stats.reached_gold} reach the gold "
            f"state; user turns median {talk.user_turns_median:g} (>= 4), mean "
            f"{talk.user_turns_mean:.2f}; {talk.openings} openings, most common "
            f"'{top_open.phrase}' {top_open.share:.1%}; {talk.closings} closings, most common "
            f"'{top_close.phrase}' {top_close.share:.1%} (<= 5% each)"
        )
        if not args.no_external:
            external_pool(args, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def external_pool(args: argparse.Namespace, scratch: Path) -> None:
    from agentscaler.jsonl import read_records
    from agentscaler.records import Task
    from agentscaler.tasks import TaskConfig, sample_tasks
    from agentscaler.tasks.summary import task_mix
    from agentscaler.workspace import Workspace

    run = args.external_run
    if run is None:
        if not args.external.exists():
            print(f"(no external data at {args.external}: the external pool is not measured)")
            return
        run = scratch / "external"
        print(f"building the external pool's run folder in {run} ...", flush=True)
        build_external(run, args.external, args.embedder)
    config = TaskConfig(**({"per_domain": args.per_domain} if args.per_domain else {}))
    started = time.process_time()
    result = sample_tasks(Workspace(run), config, force=True)
    spent = time.process_time() - started
    tasks = read_records(Workspace(run).tasks, Task)
    mix = task_mix(tasks)
    print(
        f"external:    {mix.multi_with_discovery:.1%} of {mix.tasks} tasks in "
        f"{result.summary['domains']} domains have 2+ calls and a discovered value (>= 40%); "
        f"lengths {', '.join(f'{k}: {v}' for k, v in mix.lengths.items())}; "
        f"{mix.tasks / spent:.1f} tasks/s per core"
    )


if __name__ == "__main__":
    main()
