"""Throughput of the export stage on synthetic kept episodes.

Run: ``python bench/export.py [--episodes N] [--domains D]``. Writes a run folder of N kept
multi-turn tool-calling episodes (10 % of them rejected beside them) in a temporary folder, then
times the full export (Parquet + JSON Lines + ShareGPT + ms-swift, held-out split, stage 2 on a
quarter of the domains, rows measured in Qwen3 tokens and fitted to the token budget) next to
baselines measured in the same run: only reading and validating the same episode files as
Episode records, and the same export without measuring rows in tokens.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from agentscaler.export.build import export_dataset
from agentscaler.export.config import ExportConfig
from agentscaler.jsonl import iter_records, write_json, write_records
from agentscaler.records import (
    Domain,
    DomainStats,
    Episode,
    Message,
    PolicyInfo,
    Task,
    Termination,
    ToolCall,
    ToolCallFunction,
    Verdict,
)
from agentscaler.records.task import GoldCall


def tools_of(domain: int) -> list[dict]:
    tools = []
    for t in range(8):
        properties = {
            f"field_{domain}_{t}_{p}": {
                "type": "string",
                "description": f"parameter {p} of tool {t}",
            }
            for p in range(4)
        }
        tools.append(
            {
                "type": "function",
                "function": {
                    "name": f"tool_{domain}_{t}",
                    "description": f"Tool {t} of domain {domain}: reads or writes its records.",
                    "parameters": {"type": "object", "properties": properties, "required": []},
                },
            }
        )
    return tools


def conversation(rng: random.Random, domain: int, index: int) -> tuple[Message, ...]:
    messages = [
        Message(role="system", content="You are a support agent. Follow the policy."),
        Message(role="user", content=f"Hello, I need help with request {index}, please."),
    ]
    call_id = 0
    for turn in range(rng.randint(2, 4)):
        calls = []
        for _ in range(rng.randint(1, 2)):
            call_id += 1
            name = f"tool_{domain}_{rng.randrange(8)}"
            arguments = json.dumps({f"field_{domain}_0_0": f"value-{index}-{turn}"})
            calls.append(
                ToolCall(
                    id=f"c{call_id}", function=ToolCallFunction(name=name, arguments=arguments)
                )
            )
        messages.append(Message(role="assistant", tool_calls=tuple(calls)))
        for call in calls:
            result = {"id": f"R{index}-{turn}", "status": "ok", "items": list(range(5))}
            messages.append(Message(role="tool", tool_call_id=call.id, content=json.dumps(result)))
        messages.append(
            Message(role="assistant", content=f"Step {turn} is done; the record is updated.")
        )
        messages.append(Message(role="user", content="Thanks, what else do you need from me?"))
    messages.append(Message(role="assistant", content="Nothing more. Your request is complete."))
    return tuple(messages)


def build_run(root: Path, episodes: int, domains: int) -> None:
    rng = random.Random(0)
    stats = DomainStats(
        size=8,
        reads=4,
        writes=4,
        internal_similarity_edges=10,
        dependency_edges=5,
        mean_similarity=0.6,
    )
    write_records(
        root / "domains.jsonl",
        [
            Domain(id=f"d{d:04d}", name=f"domain {d}", terms=(f"term{d}",), members=(), stats=stats)
            for d in range(domains)
        ],
    )
    for d in range(domains):
        write_json(root / "worlds" / f"d{d:04d}" / "tools.json", tools_of(d))
    tasks, records, verdicts = [], [], []
    total = int(episodes / 0.9)
    for i in range(total):
        domain = i % domains
        task_id = f"task-{i // 2:06d}"
        if i % 2 == 0:
            tasks.append(
                Task(
                    id=task_id,
                    domain_id=f"d{domain:04d}",
                    world_id=f"w{domain}",
                    seed=i,
                    initial_state="s",
                    gold_calls=(GoldCall(name="x", arguments={}, kind="read"),),
                    gold_final_state="g",
                    read_only=False,
                    intent="Do it.",
                )
            )
        episode = Episode(
            id=f"ep-{i:07d}",
            task_id=task_id,
            trial=i % 2,
            domain_id=f"d{domain:04d}",
            agent=PolicyInfo(kind="llm", model="m"),
            user=PolicyInfo(kind="llm", model="m"),
            messages=conversation(rng, domain, i),
            termination=Termination.USER_STOP,
        )
        records.append(episode)
        kept = i < episodes
        verdicts.append(
            Verdict(episode_id=episode.id, task_id=task_id, domain_id=episode.domain_id, kept=kept)
        )
    write_records(root / "tasks.jsonl", tasks)
    for shard in range(8):
        write_records(root / "episodes" / f"shard-{shard:03d}.jsonl", records[shard::8])
    write_records(root / "filtered" / "kept.jsonl", [v for v in verdicts if v.kept])
    write_records(root / "filtered" / "rejected.jsonl", [v for v in verdicts if not v.kept])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=10_000)
    parser.add_argument("--domains", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "run"
        started = time.perf_counter()
        build_run(root, args.episodes, args.domains)
        print(f"built {args.episodes:,} kept episodes in {time.perf_counter() - started:.1f} s")

        started, cpu = time.perf_counter(), time.process_time()
        read = sum(
            1
            for path in sorted((root / "episodes").glob("*.jsonl"))
            for _ in iter_records(path, Episode)
        )
        baseline, baseline_cpu = time.perf_counter() - started, time.process_time() - cpu

        config = ExportConfig(
            stage2_domains=tuple(f"d{d:04d}" for d in range(0, args.domains, 4)),
            heldout_fraction=0.1,
        )
        started, cpu = time.perf_counter(), time.process_time()
        manifest = export_dataset(root, config)
        elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - cpu
        rows = sum(stats.rows for stats in manifest.splits.values())
        kept = manifest.input.kept_verdicts
        print(
            f"baseline, read + validate {read:,} episodes: {read / baseline:,.0f} episodes/s "
            f"({read / baseline_cpu:,.0f}/s of CPU time)"
        )
        print(
            f"export, {kept:,} kept episodes -> {rows:,} rows (parquet + jsonl + sharegpt + "
            f"swift, measured in tokens): {elapsed:.2f} s, {kept / elapsed:,.0f} kept episodes/s, "
            f"{rows / elapsed:,.0f} rows/s ({kept / elapsed_cpu:,.0f} episodes/s of CPU time; "
            f"{(kept / elapsed_cpu) / (read / baseline_cpu):.2f}x the baseline rate)"
        )
        unmeasured = config.model_copy(update={"measure_tokens": False})
        started = time.perf_counter()
        export_dataset(root, unmeasured, force=True)
        plain = time.perf_counter() - started
        print(
            f"export without token counts: {plain:.2f} s, {kept / plain:,.0f} kept episodes/s; "
            f"measuring and fitting rows costs {elapsed / plain:.2f}x its time"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
