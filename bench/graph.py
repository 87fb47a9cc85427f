"""Scale of domain discovery: a 30,000-tool pool, cold and cached embeddings.

    python bench/graph.py [--tools 30000] [--embedder minilm] [--bf16 auto|on|off] [--workdir DIR]

The pool is every tool ingestion reads from ``../shared/external`` (BFCL, Seal-Tools, ACEBench:
~8.8k tools) plus generated variants until ``--tools``: renamed copies (vendor prefixes, camelCase)
and reworded copies (synonyms in descriptions, parameters in another order), each a distinct tool
with a distinct text. Each measured run is its own process, so its peak RSS is its own:

* ``cold``: empty embedding cache (embed everything, then edges, communities, domains);
* ``cached``: the same pool again, embeddings read from the cache.

Prints wall seconds per phase, the process's CPU seconds (what the run costs when the machine is
shared) and peak RSS, and the cached path against the cold one. With ``minilm``, a third process
measures what bounds the cold run: the tokens MiniLM reads for the pool's tool texts, the
multiply-adds of its linear layers per token, and this machine's dense float32 matrix-product
rate on the same shapes (the baseline): tokens x FLOP per token / that rate is the least time
any float32 implementation of the model can embed the pool in here. The cold embedding is
compared with it twice: by wall time against the product rate on all cores, and by CPU time
against the product rate of one core per CPU-second (which other jobs on a shared machine
disturb less).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
EXTERNAL = REPO.parent / "shared" / "external"

PREFIXES = (
    "acme",
    "globex",
    "initech",
    "umbrella",
    "hooli",
    "vandelay",
    "stark",
    "wayne",
    "tyrell",
)
SYNONYMS = {
    "get": "fetch",
    "retrieve": "obtain",
    "list": "enumerate",
    "create": "make",
    "delete": "remove",
    "update": "modify",
    "search": "look up",
    "user": "customer",
    "information": "details",
    "specified": "given",
    "the": "the",
    "number": "count",
    "name": "title",
    "returns": "gives back",
    "find": "locate",
}


def source_files() -> list[str]:
    files = sorted((EXTERNAL / "bfcl").glob("*.json"))
    files += sorted((EXTERNAL / "bfcl" / "multi_turn_func_doc").glob("*.json"))
    files += [EXTERNAL / "seal-tools" / "tool.jsonl"]
    files += sorted((EXTERNAL / "acebench" / "data_en").glob("data_*.json"))
    return [str(f) for f in files]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)


def _reword(text: str) -> str:
    return re.sub(r"[A-Za-z]+", lambda m: SYNONYMS.get(m.group(0).lower(), m.group(0)), text or "")


def variant(tool, number: int, rng: random.Random):
    """A renamed (even numbers) or reworded (odd numbers) copy of ``tool``."""
    from agentscaler.records import ToolSpec

    parameters = json.loads(json.dumps(tool.parameters))
    description = tool.description
    prefix = PREFIXES[number % len(PREFIXES)]
    if number % 2 == 0:
        name = f"{prefix}_{tool.name}" if number % 4 == 0 else _camel(f"{prefix}_{tool.name}")
    else:
        name = f"{tool.name}_{prefix}"
        description = _reword(description)
        properties = parameters.get("properties") or {}
        keys = list(properties)
        rng.shuffle(keys)
        parameters["properties"] = {
            k: {**properties[k], "description": _reword(properties[k].get("description", ""))}
            if isinstance(properties[k], dict)
            else properties[k]
            for k in keys
        }
    name = re.sub(r"[^a-zA-Z0-9_-]", "_", name)[:64]
    return ToolSpec.create(
        name=name,
        description=description,
        parameters=parameters,
        returns=tool.returns,
        tags=tool.tags,
    )


def build_pool(target: int, path: Path) -> int:
    from agentscaler.ingest import import_sources
    from agentscaler.jsonl import write_records

    base = import_sources(source_files()).tools
    rng = random.Random(0)
    tools = list(base)
    seen = {t.id for t in tools}
    number = 0
    while len(tools) < target:
        copy = variant(base[number % len(base)], number // len(base) * 7 + number, rng)
        number += 1
        if copy.id not in seen:
            seen.add(copy.id)
            tools.append(copy)
    write_records(path, tools)
    return len(base)


def run_phase(pool: Path, graph_dir: Path, embedder: str, bf16: str) -> dict:
    """One measured discovery run (called in a child process)."""
    import logging

    logging.disable(logging.WARNING)
    from agentscaler.graph import GraphConfig, discover_domains
    from agentscaler.jsonl import read_records
    from agentscaler.records import ToolSpec

    tools = read_records(pool, ToolSpec)
    started = time.perf_counter()
    config = GraphConfig(embedder=embedder, bf16=bf16)
    found = discover_domains(tools, config, graph_dir=graph_dir)
    total = time.perf_counter() - started
    sizes = [len(c) for c in found.communities]
    return {
        "tools": len(found.tools),
        "edges": len(found.edges),
        "domains": len(found.domains),
        "max_size": max(sizes),
        "singletons": sum(1 for s in sizes if s == 1),
        "timings": found.timings,
        "total": total,
        "texts_embedded": found.counts["texts_embedded"],
        "model_id": found_model_id(config),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "cpu_s": resource.getrusage(resource.RUSAGE_SELF).ru_utime
        + resource.getrusage(resource.RUSAGE_SELF).ru_stime,
    }


def found_model_id(config) -> str:
    """The embedder's model id (``-bf16`` when it ran under bf16 autocast)."""
    from agentscaler.graph import make_embedder

    return make_embedder(config).model_id


def compute_floor(pool: Path) -> dict:
    """Tokens, FLOP per token and the dense matrix-product rate (called in a child process)."""
    import torch

    from agentscaler.graph import GraphConfig, make_embedder
    from agentscaler.graph.discover import embedding_texts, prepare_tools
    from agentscaler.jsonl import read_records
    from agentscaler.records import ToolSpec

    config = GraphConfig()
    tools, _ = prepare_tools(read_records(pool, ToolSpec))
    texts = sorted(set(embedding_texts(tools, config)[0]))  # each distinct text is embedded once
    model = make_embedder(config)._load()
    ids = model.tokenizer(texts, add_special_tokens=True)["input_ids"]
    tokens = sum(min(len(i), config.max_seq_length) for i in ids)
    linear = [m for m in model[0].auto_model.encoder.modules() if isinstance(m, torch.nn.Linear)]
    flop_per_token = 2 * sum(m.in_features * m.out_features for m in linear)
    rows = 4096  # tokens per batch of 64 texts of ~64 tokens
    shapes = sorted({(m.in_features, m.out_features) for m in linear})
    seconds = 0.0  # the best of five rounds per shape: the machine's rate, not its noise
    with torch.inference_mode():
        for n_in, n_out in shapes:
            a, b = torch.randn(rows, n_in), torch.randn(n_in, n_out)
            for _ in range(3):
                a @ b
            rounds = []
            for _ in range(5):
                started = time.perf_counter()
                for _ in range(10):
                    a @ b
                rounds.append((time.perf_counter() - started) / 10)
            weight = sum(1 for m in linear if (m.in_features, m.out_features) == (n_in, n_out))
            seconds += weight * min(rounds)
    done = sum(2 * rows * m.in_features * m.out_features for m in linear)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    cpu_seconds = 0.0  # the same products on one core, in CPU time
    with torch.inference_mode():
        for n_in, n_out in shapes:
            a, b = torch.randn(rows, n_in), torch.randn(n_in, n_out)
            a @ b
            rounds = []
            for _ in range(5):
                started = time.process_time()
                for _ in range(10):
                    a @ b
                rounds.append((time.process_time() - started) / 10)
            weight = sum(1 for m in linear if (m.in_features, m.out_features) == (n_in, n_out))
            cpu_seconds += weight * min(rounds)
    return {
        "texts": len(texts),
        "tokens": tokens,
        "flop_per_token": flop_per_token,
        "gemm_flops": done / seconds,  # one token batch through every linear layer
        "gemm_flops_per_cpu_second": done / cpu_seconds,
        "threads": threads,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tools", type=int, default=30_000)
    parser.add_argument("--embedder", default="minilm", choices=["minilm", "hash"])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument(
        "--bf16",
        default="auto",
        choices=["auto", "on", "off"],
        help="MiniLM's bf16 autocast (auto: where the CPU has native bf16); off measures float32",
    )
    parser.add_argument(
        "--runs",
        default="cold,cached",
        help="which runs to measure; 'cached' alone keeps the cache of an earlier run in --workdir",
    )
    parser.add_argument("--phase", choices=["cold", "cached", "floor"], help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase == "floor":
        print(json.dumps(compute_floor(args.workdir / "pool.jsonl")))
        return
    if args.phase:
        print(
            json.dumps(
                run_phase(
                    args.workdir / "pool.jsonl", args.workdir / "graph", args.embedder, args.bf16
                )
            )
        )
        return

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="agentscaler-bench-graph-"))
    workdir.mkdir(parents=True, exist_ok=True)
    pool = workdir / "pool.jsonl"
    started = time.perf_counter()
    base = build_pool(args.tools, pool)
    print(
        f"pool: {args.tools} tools ({base} from ../shared/external, the rest variants), "
        f"built in {time.perf_counter() - started:.1f}s, in {workdir}"
    )
    runs = [r for r in ("cold", "cached") if r in args.runs.split(",")]
    graph = workdir / "graph"
    if "cold" in runs and graph.exists():
        import shutil

        shutil.rmtree(graph)
    results = {}

    def child(phase: str) -> subprocess.CompletedProcess:
        command = [sys.executable, __file__, "--phase", phase, "--workdir", str(workdir)]
        command += ["--embedder", args.embedder, "--bf16", args.bf16]
        return subprocess.run(command, check=True, capture_output=True, text=True)

    for phase in runs:
        results[phase] = json.loads(child(phase).stdout.strip().splitlines()[-1])

    last = results[runs[-1]]
    print(
        f"embedder {last['model_id']}; {last['edges']} similarity edges; {last['domains']} domains "
        f"(largest {last['max_size']}, singletons {last['singletons']})"
    )
    print()
    print(
        "| run | embed s | edges s | communities s | domains s | total s | CPU s | peak RSS MiB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for phase, r in results.items():
        t = r["timings"]
        print(
            f"| {phase} ({r['texts_embedded']} texts embedded) | {t['embed']:.1f} | "
            f"{t['edges']:.1f} | {t['communities']:.1f} | {t['domains']:.1f} | "
            f"{r['total']:.1f} | {r['cpu_s']:.0f} | {r['peak_rss_mib']:.0f} |"
        )
    print()
    for phase, r in results.items():
        t = r["timings"]
        print(
            f"{phase}: edges + communities {t['edges'] + t['communities']:.1f}s; embedding "
            f"{r['texts_embedded'] / t['embed']:.0f} new texts/s"
            + (f" ({t['embed_cpu']:.0f} CPU-s)" if "embed_cpu" in t else "")
        )
    if len(results) == 2:
        ratio = results["cold"]["total"] / results["cached"]["total"]
        print(f"cached run {ratio:.1f}x faster than cold")
    if args.embedder == "minilm":
        floor = json.loads(child("floor").stdout.strip().splitlines()[-1])
        work = floor["tokens"] * floor["flop_per_token"]
        print(
            f"MiniLM reads {floor['tokens']:,} tokens for the {floor['texts']:,} tool texts "
            f"({floor['flop_per_token'] / 1e6:.1f} MFLOP per token in its linear layers, "
            f"{work / 1e12:.1f} TFLOP); dense float32 matrix products on these shapes run at "
            f"{floor['gemm_flops'] / 1e9:.0f} GFLOP/s here ({floor['threads']} threads), so no "
            f"float32 implementation embeds them in less than {work / floor['gemm_flops']:.0f} s"
        )
        if "cold" in results:
            embed = results["cold"]["timings"]["embed"]
            print(
                f"cold embedding: {floor['tokens'] / embed:,.0f} tokens/s, "
                f"{work / embed / 1e9:.0f} GFLOP/s in the linear layers "
                f"({work / embed / floor['gemm_flops']:.0%} of the dense product rate on "
                f"{floor['threads']} threads)"
            )
            cpu = results["cold"]["timings"].get("embed_cpu")
            if cpu:
                per_core = floor["gemm_flops_per_cpu_second"]
                print(
                    f"by CPU time: {cpu:.0f} CPU-s, {work / cpu / 1e9:.0f} GFLOP per CPU-second "
                    f"against {per_core / 1e9:.0f} for the same products on one core "
                    f"({work / cpu / per_core:.0%})"
                )


if __name__ == "__main__":
    main()
