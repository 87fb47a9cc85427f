"""Decontamination against BFCL and ACEBench: recall on copies, precision on labelled samples.

    python bench/decontam.py [--workdir DIR]                  # measure (the README's figures)
    python bench/decontam.py --sample tools|questions         # draw a sample to label (once)

Tools. The catalog checked is what a training pool built from other sources looks like: the
built-in catalog, the Seal-Tools corpus, and 1,000 renamed or reworded copies of BFCL and ACEBench
tools (the generator of ``bench/graph.py``). Every BFCL and ACEBench tool is also re-imported as
an exact copy: recall on those must be 100%.

Questions. The intents checked are the questions of BFCL's live categories (real users' queries,
collected after the curated ones), the Seal-Tools queries and the task intents of the built-in
run; the benchmark questions are BFCL's other categories and ACEBench.

Samples (``bench/labels/decontam_*.jsonl``) were drawn once from the near matches (the strongest
candidate of each checked item with a signature score >= 0.5 or a text cosine >= 0.75 for tools,
an n-gram overlap >= 0.3 or a cosine >= 0.75 for questions; exact copies left out), stratified
by score band and by where the item comes from, then labelled by hand before any threshold was
chosen, and frozen. The bench recomputes every score with the current code and prints precision
(labelled "same" among the flagged) at the defaults of ``DecontamConfig`` and nearby values.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
EXTERNAL = REPO.parent / "shared" / "external"
LABELS = REPO / "bench" / "labels"
sys.path.insert(0, str(REPO / "bench"))

VARIANTS = 1000
TOOL_BANDS = (0.5, 0.7, 0.8, 0.9, 1.01)
QUESTION_BANDS = (0.3, 0.6, 0.8, 0.9, 1.01)
PER_STRATUM = 15


def benchmark_files() -> list[str]:
    return [str(EXTERNAL / "bfcl"), str(EXTERNAL / "acebench" / "data_en")]


def question_benchmark_files() -> list[str]:
    bfcl = sorted(p for p in (EXTERNAL / "bfcl").glob("BFCL_v4_*.json") if "live" not in p.name)
    return [*(str(p) for p in bfcl), str(EXTERNAL / "acebench" / "data_en")]


def catalog_tools(benchmark_tools):
    """``(tools, origin)``: the checked catalog and where each tool comes from."""
    from agentscaler.ingest import import_sources
    from graph import variant

    builtin = import_sources(["builtin"]).tools
    seal = import_sources([str(EXTERNAL / "seal-tools" / "tool.jsonl")]).tools
    rng = random.Random(0)
    picked = random.Random(1).sample(range(len(benchmark_tools)), VARIANTS)
    copies = [variant(benchmark_tools[i], n, rng) for n, i in enumerate(picked)]
    tools = [*builtin, *seal, *copies]
    origin = ["builtin"] * len(builtin) + ["seal-tools"] * len(seal) + ["variant"] * len(copies)
    return tools, origin


def builtin_intents(workdir: Path) -> list[str]:
    run = workdir / "run"
    if not (run / "tasks.jsonl").exists():
        command = [sys.executable, "-m", "agentscaler.cli.app", "run", "--out", str(run)]
        command += ["--embedder", "hash", "--stop-after", "tasks"]
        subprocess.run(command, check=True, capture_output=True, text=True)
    return [json.loads(line)["intent"] for line in (run / "tasks.jsonl").open()]


def checked_intents(workdir: Path) -> tuple[list[str], list[str]]:
    from agentscaler.decontam.benchmarks import read_questions

    live = sorted((EXTERNAL / "bfcl").glob("BFCL_v4_live_*.json"))
    seal = [EXTERNAL / "seal-tools" / n for n in ("dev.jsonl", "test_in_domain.jsonl")]
    texts, origin = [], []
    for label, files in (("bfcl-live", live), ("seal-tools", seal)):
        for q in read_questions([str(p) for p in files]):
            texts.append(q.text)
            origin.append(label)
    intents = builtin_intents(workdir)
    return texts + intents, origin + ["builtin"] * len(intents)


def embedder_and_cache(workdir: Path):
    from agentscaler.decontam.config import DecontamConfig
    from agentscaler.decontam.run import make_decontam_embedder
    from agentscaler.graph.embedding_cache import EmbeddingCache

    embedder = make_decontam_embedder(DecontamConfig())
    cache = EmbeddingCache(workdir / "embeddings", embedder.model_id, embedder.dim)
    return embedder, cache


def tool_pairs(workdir: Path):
    from agentscaler.decontam.benchmarks import read_benchmark
    from agentscaler.decontam.run import _vectors
    from agentscaler.decontam.tools import candidate_pairs, decontam_text

    benchmark = read_benchmark(benchmark_files())
    tools, origin = catalog_tools(benchmark.tools)
    embedder, cache = embedder_and_cache(workdir)
    started = time.perf_counter()
    run_vectors = _vectors([decontam_text(t) for t in tools], embedder, cache)
    bench_vectors = _vectors([decontam_text(t) for t in benchmark.tools], embedder, cache)
    pairs = candidate_pairs(tools, benchmark.tools, run_vectors, bench_vectors, 5)
    print(
        f"tools: {len(tools)} checked against {len(benchmark.tools)} benchmark tools, "
        f"{len(pairs)} candidate pairs in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    return benchmark, tools, origin, pairs, (run_vectors, bench_vectors)


def question_pairs(workdir: Path):
    from agentscaler.decontam.benchmarks import read_questions
    from agentscaler.decontam.config import DecontamConfig
    from agentscaler.decontam.intents import intent_pairs
    from agentscaler.decontam.run import _vectors

    questions = read_questions(question_benchmark_files())
    intents, origin = checked_intents(workdir)
    embedder, cache = embedder_and_cache(workdir)
    texts = [q.text for q in questions]
    pairs = intent_pairs(
        intents,
        texts,
        _vectors(intents, embedder, cache),
        _vectors(texts, embedder, cache),
        DecontamConfig(),
    )
    return questions, intents, origin, pairs


def _best(pairs, key, score):
    best = {}
    for pair in pairs:
        current = best.get(key(pair))
        if current is None or score(pair) > score(current):
            best[key(pair)] = pair
    return best


def _band(value: float, bands) -> int | None:
    for i in range(len(bands) - 1):
        if bands[i] <= value < bands[i + 1]:
            return i
    return None


def sample_tools(workdir: Path, out: Path) -> None:
    from agentscaler.decontam.text import parameter_names

    benchmark, tools, origin, pairs, _ = tool_pairs(workdir)
    near = [p for p in pairs if not p.exact]
    best = _best(near, lambda p: p.run, lambda p: max(p.signature, p.description))
    strata = defaultdict(list)
    for run, pair in sorted(best.items()):
        if pair.signature < 0.5 and pair.description < 0.75:
            continue
        band = _band(max(pair.signature, pair.description), TOOL_BANDS)
        source = "variant" if origin[run] == "variant" else "natural"
        strata[(source, band)].append(pair)
    rng = random.Random(20261206)
    rows = []
    for key in sorted(strata):
        chosen = rng.sample(strata[key], min(PER_STRATUM, len(strata[key])))
        for pair in sorted(chosen, key=lambda p: p.run):
            tool, other = tools[pair.run], benchmark.tools[pair.benchmark]
            rows.append(
                {
                    "run_id": tool.id,
                    "run_origin": origin[pair.run],
                    "run_name": tool.name,
                    "run_description": tool.description,
                    "run_parameters": sorted(parameter_names(tool)),
                    "benchmark_id": other.id,
                    "benchmark_name": other.name,
                    "benchmark_description": other.description,
                    "benchmark_parameters": sorted(parameter_names(other)),
                    "label": None,
                }
            )
    write_sample(out, rows, {k: len(v) for k, v in strata.items()})


def sample_questions(workdir: Path, out: Path) -> None:
    questions, intents, origin, pairs = question_pairs(workdir)
    best = _best(pairs, lambda p: p.intent, lambda p: max(p.ngram, p.embedding))
    strata = defaultdict(list)
    for index, pair in sorted(best.items()):
        same = " ".join(intents[index].lower().split()) == " ".join(
            questions[pair.question].text.lower().split()
        )
        if same or (pair.ngram < 0.3 and pair.embedding < 0.75):
            continue
        band = _band(max(pair.ngram, pair.embedding), QUESTION_BANDS)
        strata[(origin[index], band)].append(pair)
    rng = random.Random(20261206)
    rows = []
    for key in sorted(strata):
        chosen = rng.sample(strata[key], min(PER_STRATUM, len(strata[key])))
        for pair in sorted(chosen, key=lambda p: p.intent):
            rows.append(
                {
                    "intent_origin": origin[pair.intent],
                    "intent": intents[pair.intent],
                    "question_id": questions[pair.question].id,
                    "question": questions[pair.question].text,
                    "label": None,
                }
            )
    write_sample(out, rows, {k: len(v) for k, v in strata.items()})


def write_sample(out: Path, rows: list[dict], strata: dict) -> None:
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    sizes = ", ".join(f"{k[0]}/{k[1]}: {v}" for k, v in sorted(strata.items()))
    print(f"{len(rows)} pairs drawn into {out} (strata sizes: {sizes})")


def load_labels(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    unlabelled = [r for r in rows if r.get("label") not in ("same", "different")]
    if unlabelled:
        raise SystemExit(f"{path}: {len(unlabelled)} rows without a label ('same' or 'different')")
    return rows


def precision_table(name, rows, flagged_at, grid) -> None:
    print(
        f"\n{name}: precision among flagged pairs of the labelled sample ({len(rows)} pairs, "
        f"{sum(r['label'] == 'same' for r in rows)} labelled same)\n"
    )
    print("| setting | flagged | labelled same | precision | recall of 'same' in the sample |")
    print("|---|---:|---:|---:|---:|")
    same_total = sum(1 for r in rows if r["label"] == "same")
    for label, setting in grid:
        flagged = [r for r in rows if flagged_at(r, setting)]
        same = sum(1 for r in flagged if r["label"] == "same")
        precision = same / len(flagged) if flagged else float("nan")
        recall = same / same_total if same_total else float("nan")
        print(f"| {label} | {len(flagged)} | {same} | {precision:.1%} | {recall:.1%} |")


def measure(workdir: Path) -> None:
    from agentscaler.decontam.config import DecontamConfig
    from agentscaler.decontam.tools import best_matches, flag_kind
    from agentscaler.ingest import import_sources

    defaults = DecontamConfig()
    benchmark, tools, origin, pairs, _ = tool_pairs(workdir)
    # recall on exact copies: every benchmark tool re-imported from a pool file of its own
    from agentscaler.decontam.run import match_tools
    from agentscaler.jsonl import write_records
    from agentscaler.records import ToolSpec

    copies = [
        ToolSpec.create(
            name=t.name, description=t.description, parameters=t.parameters, returns=t.returns
        )
        for t in benchmark.tools
    ]
    write_records(workdir / "copies.jsonl", copies)
    reread = import_sources([str(workdir / "copies.jsonl")]).tools
    embedder, cache = embedder_and_cache(workdir)
    found = {m.tool_id: m for m in match_tools(reread, benchmark.tools, embedder, defaults, cache)}
    exact = sum(1 for t in reread if t.id in found and found[t.id].kind == "exact")
    print(f"exact copies: {exact} of {len(reread)} flagged as exact ({exact / len(reread):.1%})")
    flagged = best_matches(pairs, defaults)
    by_origin = Counter(origin)
    hits = Counter(origin[i] for i in flagged)
    for name in ("variant", "builtin", "seal-tools"):
        print(
            f"{name}: {hits[name]} of {by_origin[name]} flagged "
            f"({hits[name] / by_origin[name]:.1%})"
        )
    kinds = Counter(kind for _, kind in flagged.values())
    print("flagged by kind:", dict(kinds))

    by_pair = {(tools[p.run].id, benchmark.tools[p.benchmark].id): p for p in pairs}
    rows = load_labels(LABELS / "decontam_tools.jsonl")
    for row in rows:
        pair = by_pair.get((row["run_id"], row["benchmark_id"]))
        if pair is None:
            raise SystemExit(
                f"labelled pair {row['run_name']} / {row['benchmark_name']} is no "
                "longer a candidate; the pools changed"
            )
        row["pair"] = pair

    def tool_flagged(row, setting):
        return flag_kind(row["pair"], setting) is not None

    grid = [("defaults " + _tool_setting(defaults), defaults)]
    for sig in (0.7, 0.75, 0.8, 0.85, 0.9):
        for desc in (0.85, 0.9, 0.92, 0.95):
            config = defaults.model_copy(
                update={"signature_threshold": sig, "description_threshold": desc}
            )
            grid.append((_tool_setting(config), config))
    precision_table("tools", rows, tool_flagged, grid)
    natural = [r for r in rows if r["run_origin"] != "variant"]
    precision_table(
        "tools, natural pairs only (built-in, Seal-Tools)", natural, tool_flagged, grid[:1]
    )

    questions, intents, qorigin, qpairs = question_pairs(workdir)
    from agentscaler.decontam.intents import best_intent_matches, intent_flagged, intent_pairs
    from agentscaler.decontam.run import _vectors

    texts = [q.text for q in questions]
    vectors = _vectors(texts, embedder, cache)
    copied = best_intent_matches(intent_pairs(texts, texts, vectors, vectors, defaults), defaults)
    print(
        f"benchmark questions copied as intents: {len(copied)} of {len(texts)} flagged "
        f"({len(copied) / len(texts):.1%})"
    )
    matches = best_intent_matches(qpairs, defaults)
    counts = Counter(qorigin[i] for i in matches)
    for name, total in Counter(qorigin).items():
        print(f"intents from {name}: {counts[name]} of {total} flagged")
    by_text = {(intents[p.intent], questions[p.question].id): p for p in qpairs}
    qrows = load_labels(LABELS / "decontam_questions.jsonl")
    for row in qrows:
        pair = by_text.get((row["intent"], row["question_id"]))
        if pair is None:
            raise SystemExit(
                f"labelled question pair {row['question_id']} is no longer a "
                "candidate; the inputs changed"
            )
        row["pair"] = pair

    def question_flagged(row, setting):
        return intent_flagged(row["pair"], setting)

    grid = [("defaults " + _question_setting(defaults), defaults)]
    for ngram in (0.5, 0.6, 0.7, 0.8):
        for cosine in (0.8, 0.85, 0.9, 0.95):
            config = defaults.model_copy(
                update={"ngram_threshold": ngram, "intent_threshold": cosine}
            )
            grid.append((_question_setting(config), config))
    precision_table("questions", qrows, question_flagged, grid)


def _tool_setting(c) -> str:
    return f"signature {c.signature_threshold:g}, text {c.description_threshold:g}"


def _question_setting(c) -> str:
    return f"n-grams {c.ngram_threshold:g}, cosine {c.intent_threshold:g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--sample", choices=["tools", "questions"], default=None)
    args = parser.parse_args()
    import logging

    logging.disable(logging.WARNING)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="agentscaler-bench-decontam-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if args.sample == "tools":
        sample_tools(workdir, LABELS / "decontam_tools.jsonl")
    elif args.sample == "questions":
        sample_questions(workdir, LABELS / "decontam_questions.jsonl")
    else:
        measure(workdir)


if __name__ == "__main__":
    main()
