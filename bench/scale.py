"""Scale of the whole pipeline: per-stage time and peak memory from 566 to 30,000 tools.

    python bench/scale.py [--sizes 566,3000,10000,30000] [--compare-size 3000] [--per-domain 10]
                          [--workdir DIR] [--plot docs/scale.png] [--skip-compare] [--repeats 3]

Each size is one ``agentscaler run`` in its own process (offline oracle agent and scripted user,
the hashing embedder: the torch-free embedder, which costs what a run with a warm embedding
cache costs), local executor with one worker process per core. 566 tools is the built-in
catalog; larger pools are the built-in catalog plus every tool ingestion reads from
``../shared/external`` (BFCL, Seal-Tools, ACEBench: ~8.8k tools), then renamed and reworded
variants (``bench/graph.py``'s generator) up to the size. Per stage it prints the seconds and the
peak resident memory of the run and all its workers (from ``run.json``'s progress section), and
the fitted growth exponent of time over tools (``seconds ~ tools^k``).

At ``--compare-size`` the same pool also runs with one process (``--workers 1``) and on Ray (a
local cluster the run starts, as many CPUs as the machine), ``--repeats`` rounds of the three
settings in turn (local, one process, Ray): the bench checks that every run wrote the same records
as the first local one, prints the throughput of two workers over one process on worlds, tasks,
simulate and filter, and Ray's overhead per shard against the local run with as many workers, each the
median of its stage's times over the rounds (a one-second stage moves by more than 10% from one
run to the next; the rounds' own times are printed beside the medians). The machine's load average is printed beside each figure: on a
shared machine other jobs take cores too.

Results go to ``WORKDIR/scale.json`` (each run's figures are kept in ``WORKDIR/<run>/result.json``
and reused by a later call with ``--reuse``, so sizes can be measured one at a time).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "tests" / "pipeline"))

STAGES = ("ingest", "domains", "worlds", "tasks", "simulate", "filter", "export", "report")
COMPARED = ("worlds", "tasks", "simulate", "filter")


def make_pool(size: int, path: Path) -> dict[str, int]:
    """The pool of ``size`` tools written to ``path`` (ToolSpec records)."""
    import random

    from agentscaler.catalog import builtin_tools
    from agentscaler.ingest import import_sources
    from agentscaler.jsonl import write_records
    from graph import source_files, variant

    builtin = list(builtin_tools())
    tools = list(builtin)
    seen = {t.id for t in tools}
    external = [t for t in import_sources(source_files()).tools if t.id not in seen]
    for tool in external:
        if len(tools) >= size:
            break
        tools.append(tool)
        seen.add(tool.id)
    base = builtin + external
    rng = random.Random(0)
    number = 0
    while len(tools) < size:
        copy = variant(base[number % len(base)], number // len(base) * 7 + number, rng)
        number += 1
        if copy.id not in seen:
            seen.add(copy.id)
            tools.append(copy)
    write_records(path, tools[:size])
    return {"builtin": len(builtin), "external": min(len(external), size - len(builtin))}


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run(out: Path, pool: str, per_domain: int, *options: str) -> dict[str, Any]:
    """One ``agentscaler run`` into ``out``; its per-stage figures."""
    if out.exists():
        shutil.rmtree(out)
    command = [
        sys.executable, "-m", "agentscaler.cli.app", "run", "--out", str(out), "--tools", pool,
        "--embedder", "hash", "--per-domain", str(per_domain), *options,
    ]  # fmt: skip
    load_before = load_average()
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if result.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    progress = json.loads((out / "run.json").read_text())["progress"]
    stages = {}
    for name in STAGES:
        entry = progress["stages"].get(name) or {}
        stages[name] = {
            key: entry.get(key)
            for key in (
                "seconds", "peak_rss_mib", "records_done", "shards_total", "records_per_s",
            )
        }  # fmt: skip
    domains = sum(1 for _ in (out / "domains.jsonl").open())
    return {
        "options": list(options),
        "wall_s": round(wall, 1),
        "load_before": load_before,
        "load_after": load_average(),
        "executor": progress["executor"],
        "workers": progress["workers"],
        "domains": domains,
        "stages": stages,
        "peak_rss_mib": max((s["peak_rss_mib"] or 0) for s in stages.values()),
    }


def cached_run(
    workdir: Path, label: str, reuse: bool, pool: str, per_domain: int, *options: str
) -> dict[str, Any]:
    saved = workdir / label / "result.json"
    if reuse and saved.exists():
        print(f"  {label}: reused {saved}", flush=True)
        return json.loads(saved.read_text())
    figures = run(workdir / label / "run", pool, per_domain, *options)
    saved.write_text(json.dumps(figures, indent=2))
    stage_s = ", ".join(f"{n} {figures['stages'][n]['seconds']}" for n in STAGES)
    print(
        f"  {label}: {figures['wall_s']} s wall, {figures['domains']} domains, peak RSS "
        f"{figures['peak_rss_mib']:.0f} MiB; load {figures['load_before']} -> "
        f"{figures['load_after']}; {stage_s}",
        flush=True,
    )
    return figures


def growth(sizes: list[int], seconds: list[float]) -> float | None:
    """Least-squares slope of log(seconds) over log(tools)."""
    points = [(math.log(n), math.log(s)) for n, s in zip(sizes, seconds, strict=True) if s]
    if len(points) < 2:
        return None
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    var = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / var if var else None


def same_records(a: Path, b: Path) -> list[str]:
    from records import differences, run_records

    return differences(run_records(a), run_records(b))


def plot(results: dict[int, dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted(results)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for stage in STAGES:
        seconds = [results[n]["stages"][stage]["seconds"] or 0 for n in sizes]
        left.plot(sizes, seconds, marker="o", label=stage)
    left.set(xscale="log", yscale="log", xlabel="tools", ylabel="seconds", title="time per stage")
    left.legend(fontsize=8)
    for stage in STAGES:
        rss = [(results[n]["stages"][stage]["peak_rss_mib"] or 0) / 1024 for n in sizes]
        right.plot(sizes, rss, marker="o", label=stage)
    right.set(
        xscale="log", xlabel="tools", ylabel="GiB", title="peak RSS per stage (all processes)"
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    print(f"plot: {path}")


def compare(
    workdir: Path, pool: str, per_domain: int, reuse: bool, local: dict[str, Any], repeats: int
) -> dict[str, Any]:
    """One process vs the local pool vs Ray on the same pool, ``repeats`` rounds each.

    The rounds alternate the three settings (local, one process, Ray) so that a change of the
    machine's load falls on all three alike; each stage's figure is its median over the rounds.
    """
    runs: dict[str, list[dict[str, Any]]] = {"local": [local], "single": [], "ray": []}
    folders: dict[str, list[Path]] = {
        "local": [workdir / local["label"] / "run"],
        "single": [],
        "ray": [],
    }
    options = {"single": ("--workers", "1"), "ray": ("--executor", "ray")}
    for round_ in range(repeats):
        suffix = "" if round_ == 0 else f"-{round_ + 1}"
        if round_:
            label = f"compare-local{suffix}"
            (workdir / label).mkdir(exist_ok=True)
            runs["local"].append(cached_run(workdir, label, reuse, pool, per_domain))
            folders["local"].append(workdir / label / "run")
        for kind, label in (("single", "compare-1-process"), ("ray", "compare-ray")):
            (workdir / f"{label}{suffix}").mkdir(exist_ok=True)
            runs[kind].append(
                cached_run(workdir, f"{label}{suffix}", reuse, pool, per_domain, *options[kind])
            )
            folders[kind].append(workdir / f"{label}{suffix}" / "run")

    def seconds(kind: str, stage: str) -> list[float]:
        return [run["stages"][stage]["seconds"] or 0.0 for run in runs[kind]]

    def median(kind: str, stage: str) -> float:
        return statistics.median(seconds(kind, stage))

    out: dict[str, Any] = {
        "rounds": repeats,
        "identical_1_vs_n": [
            diff for path in folders["single"] for diff in same_records(path, folders["local"][0])
        ],
        "identical_ray_vs_local": [
            diff for path in folders["ray"] for diff in same_records(path, folders["local"][0])
        ],
        "speedup": {},
        "ray": {},
    }
    for stage in COMPARED:
        one, many = median("single", stage), median("local", stage)
        out["speedup"][stage] = {
            "ratio": round(one / many, 2) if many else None,
            "single_s": seconds("single", stage),
            "local_s": seconds("local", stage),
        }
    for stage in ("worlds", "tasks", "simulate", "filter", "export"):
        ray_s, local_s = median("ray", stage), median("local", stage)
        shards = runs["ray"][0]["stages"][stage]["shards_total"] or 1
        out["ray"][stage] = {
            "ray_s": round(ray_s, 2),
            "local_s": round(local_s, 2),
            "ray_rounds": seconds("ray", stage),
            "local_rounds": seconds("local", stage),
            "shards": shards,
            "overhead_per_shard_ms": round((ray_s - local_s) / shards * 1000, 1),
            "overhead_share": round((ray_s - local_s) / ray_s, 3) if ray_s else None,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="566,3000,10000,30000")
    parser.add_argument("--compare-size", type=int, default=3000)
    parser.add_argument("--skip-compare", action="store_true")
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="rounds of the comparison at --compare-size (medians per stage)",
    )
    parser.add_argument("--per-domain", type=int, default=10)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--reuse", action="store_true", help="reuse runs measured before")
    parser.add_argument(
        "--plot", default=str(REPO / "docs" / "scale.png"), help="PNG to write ('' for none)"
    )
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="scale-"))
    workdir.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print(f"cores {os.cpu_count()}, load {load_average()}, workdir {workdir}", flush=True)
    results: dict[int, dict[str, Any]] = {}
    for size in sorted(set(sizes) | ({args.compare_size} if not args.skip_compare else set())):
        label = f"local-{size}"
        pool = workdir / f"pool-{size}.jsonl"
        if size == 566:
            source = "builtin"
        else:
            if not pool.exists():
                print(f"  pool of {size}: {make_pool(size, pool)}", flush=True)
            source = str(pool)
        (workdir / label).mkdir(exist_ok=True)
        figures = cached_run(workdir, label, args.reuse, source, args.per_domain)
        results[size] = {**figures, "label": label, "source": source}
    measured = sorted(n for n in results if n in sizes)
    report: dict[str, Any] = {"per_domain": args.per_domain, "runs": results, "growth": {}}
    print(f"\n{'stage':<10}" + "".join(f"{n:>16,}" for n in measured) + "   growth k")
    for stage in STAGES:
        seconds = [results[n]["stages"][stage]["seconds"] or 0 for n in measured]
        k = growth(measured, seconds)
        report["growth"][stage] = None if k is None else round(k, 2)
        cells = "".join(
            f"{s:>8.1f}s {results[n]['stages'][stage]['peak_rss_mib'] or 0:>5.0f}M"
            for n, s in zip(measured, seconds, strict=True)
        )
        print(f"{stage:<10}{cells}   {'-' if k is None else f'{k:.2f}'}")
    totals = "".join(f"{results[n]['wall_s']:>15.1f}s" for n in measured)
    print(f"{'total':<10}{totals}")
    print("domains   " + "".join(f"{results[n]['domains']:>16,}" for n in measured))
    print("load      " + "".join(f"{results[n]['load_after']!s:>16}" for n in measured))
    if not args.skip_compare:
        for folder in ("compare-1-process", "compare-ray"):
            (workdir / folder).mkdir(exist_ok=True)
        local = results[args.compare_size]
        found = compare(
            workdir, local["source"], args.per_domain, args.reuse, local, max(1, args.repeats)
        )
        report["compare"] = found
        print(
            f"\nat {args.compare_size:,} tools ({local['workers']} local workers; medians of "
            f"{found['rounds']} alternating rounds):"
        )
        print(f"  records identical, 1 process vs {local['workers']} workers: "
              f"{not found['identical_1_vs_n']} {found['identical_1_vs_n'][:3]}")  # fmt: skip
        print(f"  records identical, Ray vs local: {not found['identical_ray_vs_local']} "
              f"{found['identical_ray_vs_local'][:3]}")  # fmt: skip
        for stage, speedup in found["speedup"].items():
            print(
                f"  {stage}: {local['workers']} workers / 1 process throughput = "
                f"{speedup['ratio']}x (rounds: 1 process {speedup['single_s']} s, "
                f"{local['workers']} workers {speedup['local_s']} s)"
            )
        for stage, ray in found["ray"].items():
            print(
                f"  ray {stage}: {ray['ray_s']} s vs local {ray['local_s']} s over "
                f"{ray['shards']} shards: {ray['overhead_per_shard_ms']} ms per shard, "
                f"{ray['overhead_share'] or 0:+.1%} of the Ray stage (rounds: Ray {ray['ray_rounds']} s, "
                f"local {ray['local_rounds']} s)"
            )
    (workdir / "scale.json").write_text(json.dumps(report, indent=2))
    print(f"\nresults: {workdir / 'scale.json'}")
    if len(measured) > 1 and args.plot:
        plot({n: results[n] for n in measured}, Path(args.plot))


if __name__ == "__main__":
    main()
