"""World-semantics benchmark: inferred world specs scored against hand-labelled write tools.

    python bench/world_semantics.py [--keep DIR] [--no-domains] [--misses 30]

Ground truth: bench/labels/builtin_writes.yaml, every write tool of the built-in catalog
labelled by hand from its description (entity, effect kind, tables written, stated rules, side
effects), frozen before tuning and never read by the compiler. For each labelled tool the bench
compiles its world, runs the semantic checks (each rule violated on purpose must make the call
fail naming the rule and change nothing) and scores the spec entry (bench/labels/score.py):

* right entity and effect kind (target >= 95% of write tools);
* inserts into a table the label does not say the tool writes (target 0);
* stated rules enforced, proved by the semantic check (target >= 90% of labelled rules);
* side effects on other tables made; multi-table tools whose written tables cover the label.

Two settings: one world per built-in vertical, and the default domains of `agentscaler run`
(domains found by the similarity graph; a vertical split across domains loses what its other
half holds). Timing: compiling all worlds (target < 15 s) and their semantic checks.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from agentscaler.catalog import builtin_tools
from agentscaler.worlds.checks.semantic import check_semantics
from agentscaler.worlds.compiler import compile_world

LABELS = Path(__file__).resolve().parent / "labels"


def _module(name: str) -> Any:
    qualified = f"_bench_labels_{name}"
    if qualified not in sys.modules:
        spec = importlib.util.spec_from_file_location(qualified, LABELS / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[qualified] = module
        spec.loader.exec_module(module)
    return sys.modules[qualified]


def stored(tools: list[Any]) -> list[Any]:
    """The tools as a run stores them in ``tools.jsonl`` and compiles them (what `agentscaler
    run` builds): the bench scores those, not the catalog's objects, so a storage format that
    loses what inference reads (the order of a schema's properties) shows here."""
    from agentscaler.jsonl import dumps_line
    from agentscaler.records import ToolSpec

    return [ToolSpec.model_validate_json(dumps_line(t)) for t in tools]


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}% ({part}/{whole})" if whole else "- (0/0)"


def score_worlds(
    groups: dict[str, list[Any]], labels: dict[str, Any], *, by_id: bool = False
) -> tuple[list[Any], dict]:
    """Compile each group of tools as one world, check it, and score its labelled tools
    (labels keyed by tool name, or by ToolSpec id with ``by_id``)."""
    score = _module("score")
    scores = []
    timing = {"compile": 0.0, "check": 0.0, "worlds": 0, "rules": Counter()}
    by_name = {(key if by_id else label.name): (key, label) for key, label in labels.items()}
    wanted = set(by_name)
    for group, tools in sorted(groups.items()):
        if not any((t.id if by_id else t.name) in wanted for t in tools):
            continue
        started = time.perf_counter()
        world = compile_world(f"d-{group}", group, tools)
        timing["compile"] += time.perf_counter() - started
        started = time.perf_counter()
        report = check_semantics(world, world.spec)
        timing["check"] += time.perf_counter() - started
        timing["worlds"] += 1
        timing["rules"].update(report.rule_counts())
        proofs_by_tool: dict[str, dict[str, str]] = defaultdict(dict)
        for proof in report.rules:
            proofs_by_tool[proof.tool][proof.rule] = proof.status
        for tool in tools:
            lookup = tool.id if by_id else tool.name
            if lookup not in by_name:
                continue
            key, label = by_name[lookup]
            scores.append(
                score.score_tool(
                    key,
                    label,
                    world.spec.tools.get(tool.name),
                    world.spec,
                    proofs_by_tool.get(tool.name, {}),
                )
            )
    return scores, timing


def report(title: str, scores: list[Any], timing: dict, misses: int) -> dict[str, Any]:
    n = len(scores)
    both = sum(s.entity_ok and s.kind_ok for s in scores)
    wrong_inserts = sum(len(s.wrong_inserts) for s in scores)
    rules = [r for s in scores for r in s.rules]
    enforced = sum(r[2] == "enforced" for r in rules)
    held = sum(r[2] != "missing" for r in rules)
    effects = [e for s in scores for e in s.effects]
    multi = [s for s in scores if s.multi_table]
    print(f"\n== {title}: {timing['worlds']} worlds, {n} labelled write tools")
    print(f"  right entity and effect kind: {_pct(both, n)}   (target >= 95%)")
    print(
        f"    entity right: {_pct(sum(s.entity_ok for s in scores), n)}; "
        f"effect kind right: {_pct(sum(s.kind_ok for s in scores), n)}"
    )
    print(f"  inserts into a wrong table: {wrong_inserts}   (target 0)")
    print(f"  stated rules enforced (proved): {_pct(enforced, len(rules))}   (target >= 90%)")
    print(f"    held by the spec: {_pct(held, len(rules))}; held but unproven: {held - enforced}")
    by_kind: dict[str, Counter] = defaultdict(Counter)
    for kind, _, outcome in rules:
        by_kind[kind][outcome] += 1
    for kind, counts in sorted(by_kind.items(), key=lambda kv: -sum(kv[1].values())):
        total = sum(counts.values())
        print(
            f"      {kind:<11} {_pct(counts['enforced'], total)} enforced, "
            f"{counts['unproven']} unproven, {counts['missing']} missing"
        )
    print(f"  side effects on other tables made: {_pct(sum(e[2] for e in effects), len(effects))}")
    print(
        f"  multi-table tools covering every labelled table: "
        f"{_pct(sum(s.writes_ok for s in multi), len(multi))}"
    )
    print(
        f"  compile {timing['compile']:.1f} s (target < 15 s), semantic checks "
        f"{timing['check']:.1f} s; rule proofs {dict(timing['rules'])}"
    )
    confusion = Counter((s.label_kind, s.spec_kind) for s in scores)
    kinds = ["create", "update", "transition", "delete", "action"]
    spec_kinds = sorted({k for _, k in confusion})
    print("  confusion (rows: label, columns: spec): " + " ".join(f"{k:>10}" for k in spec_kinds))
    for kind in kinds:
        row = [confusion[(kind, k)] for k in spec_kinds]
        if any(row):
            print(f"  {kind:>40} " + " ".join(f"{c:>10}" for c in row))
    if misses:
        wrong = [s for s in scores if not (s.entity_ok and s.kind_ok)]
        print(f"  entity/kind misses ({len(wrong)}):")
        for s in wrong[:misses]:
            print(f"    {s.key}: spec {s.spec_kind} {s.spec_entity} (label {s.label_kind})")
        inserts = [s for s in scores if s.wrong_inserts]
        if inserts:
            print(f"  wrong inserts ({len(inserts)} tools):")
            for s in inserts[:misses]:
                print(f"    {s.key}: {', '.join(s.wrong_inserts)}")
        partial = [s for s in multi if not s.writes_ok]
        print(f"  multi-table tools missing a labelled table ({len(partial)}):")
        for s in partial[:misses]:
            print(f"    {s.key}: does not write {', '.join(s.unwritten)}")
        missing = [(s.key, r) for s in scores for r in s.rules if r[2] != "enforced"]
        print(f"  rules not enforced ({len(missing)}):")
        for key, (kind, text, outcome) in missing[:misses]:
            print(f"    {key} [{kind}, {outcome}]: {text}")
    return {
        "tools": n,
        "entity_and_kind": both,
        "wrong_inserts": wrong_inserts,
        "rules": len(rules),
        "rules_enforced": enforced,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="Run folder of the default domains (reused).")
    parser.add_argument("--no-domains", action="store_true", help="Skip the default domains.")
    parser.add_argument(
        "--external",
        type=Path,
        default=Path(__file__).resolve().parents[2] / "shared" / "external",
        help="The external data folder (the labelled sample of 60 write tools is scored in the "
        "default domains of the imported pool).",
    )
    parser.add_argument("--keep-external", type=Path, help="Run folder of the external pool.")
    parser.add_argument("--no-external", action="store_true", help="Skip the external sample.")
    parser.add_argument("--misses", type=int, default=30, help="Misses listed per kind.")
    args = parser.parse_args()

    labels = _module("schema").load_labels(LABELS / "builtin_writes.yaml").tools
    tools = stored(builtin_tools())
    verticals: dict[str, list[Any]] = defaultdict(list)
    for tool in tools:
        verticals[tool.tag_value("vertical") or "misc"].append(tool)
    scores, timing = score_worlds(verticals, labels)
    report("one world per built-in vertical", scores, timing, args.misses)

    from agentscaler.jsonl import read_records
    from agentscaler.pipeline.run import run_pipeline
    from agentscaler.records import Domain, ToolSpec

    if not args.no_domains:
        root = args.keep or Path("/tmp/agentscaler-bench-world-semantics")
        by_id = {t.id: t for t in tools}
        if (root / "domains.jsonl").exists():
            kept = read_records(root / "domains.jsonl", Domain)
            if {m.tool_id for d in kept for m in d.members} != set(by_id):
                # domains of another version of the catalog: their members are not these tools
                print(f"(domains in {root} are of another catalog: discovered again)")
                shutil.rmtree(root)
        if not (root / "domains.jsonl").exists():
            run_pipeline(root, {}, stop_after="domains")
        domains = read_records(root / "domains.jsonl", Domain)
        groups = {
            d.id: [by_id[m.tool_id] for m in d.members if m.tool_id in by_id] for d in domains
        }
        scores, timing = score_worlds(groups, labels)
        report("default domains of `agentscaler run`", scores, timing, args.misses)

    external = args.external
    if args.no_external:
        return
    if not external.exists():
        print(f"\n(no external data at {external}: the external sample is not scored)")
        return
    ext_root = args.keep_external or Path("/tmp/agentscaler-bench-world-semantics-external")
    if not (ext_root / "domains.jsonl").exists():
        sources = [
            str(external / "bfcl"),
            str(external / "seal-tools" / "tool.jsonl"),
            str(external / "acebench" / "data_en"),
        ]
        run_pipeline(ext_root, {"sources": sources}, stop_after="domains")
    pool_tools = {t.id: t for t in read_records(ext_root / "tools.jsonl", ToolSpec)}
    ext_domains = read_records(ext_root / "domains.jsonl", Domain)
    ext_groups = {
        d.id: [pool_tools[m.tool_id] for m in d.members if m.tool_id in pool_tools]
        for d in ext_domains
    }
    ext_labels = _module("schema").load_labels(LABELS / "external_writes.yaml").tools
    scores, timing = score_worlds(ext_groups, ext_labels, by_id=True)
    report(
        "external sample (60 write tools, default domains of the pool)", scores, timing, args.misses
    )


if __name__ == "__main__":
    main()
