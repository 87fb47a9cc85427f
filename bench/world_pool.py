"""The external pool's worlds: build time, semantic conformance and spec statistics.

    python bench/world_pool.py [--keep-external DIR] [--limit N]

Compiles one world per default domain of the imported external pool (BFCL, Seal-Tools,
ACEBench; the run folder is built on first use, as in bench/world_semantics.py), runs the
conformance check (mechanical and semantic checks) on each, and prints: the time to compile
all worlds (target < 3 min on 2 cores), the share of worlds passing (target >= 95%) with every
failure named by world, tool and check, and the spec statistics of the pool: tool kinds, rules
by kind, and the tools with no inferable effect, each with the reason.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from agentscaler.jsonl import read_records
from agentscaler.pipeline.run import run_pipeline
from agentscaler.records import Domain, ToolSpec
from agentscaler.worlds.checks.conformance import check_world
from agentscaler.worlds.compiler import compile_world


def _no_effect_reason(tool) -> str | None:
    """Why a write tool of the spec changes nothing, or None when it has effects."""
    if tool.access != "write" or tool.effects:
        return None
    if tool.kind == "compute":
        return "computes a result from its arguments"
    return f"{tool.kind} on {tool.entity or 'no entity'} with no stored field to change"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--external",
        type=Path,
        default=Path(__file__).resolve().parents[2] / "shared" / "external",
    )
    parser.add_argument("--keep-external", type=Path, help="Run folder of the external pool.")
    parser.add_argument("--limit", type=int, default=0, help="Only the first N domains.")
    parser.add_argument(
        "--check-every",
        type=int,
        default=1,
        help="Run conformance on every Nth world only (all are compiled and timed).",
    )
    parser.add_argument("--list", type=int, default=40, help="Failures and no-effect tools listed.")
    args = parser.parse_args()

    root = args.keep_external or Path("/tmp/agentscaler-bench-world-semantics-external")
    if not (root / "domains.jsonl").exists():
        sources = [
            str(args.external / "bfcl"),
            str(args.external / "seal-tools" / "tool.jsonl"),
            str(args.external / "acebench" / "data_en"),
        ]
        run_pipeline(root, {"sources": sources}, stop_after="domains")
    pool = {t.id: t for t in read_records(root / "tools.jsonl", ToolSpec)}
    domains = read_records(root / "domains.jsonl", Domain)
    if args.limit:
        domains = domains[: args.limit]

    compile_s = check_s = 0.0
    passed = 0
    failures: list[tuple[str, str, str, str]] = []
    by_check: Counter = Counter()
    kinds: Counter = Counter()
    rules: Counter = Counter()
    no_effect: list[tuple[str, str, str]] = []
    tools_total = 0
    checked = 0
    for index, domain in enumerate(domains):
        tools = [pool[m.tool_id] for m in domain.members if m.tool_id in pool]
        started = time.perf_counter()
        world = compile_world(f"x-{domain.id}", domain.id, tools)
        compile_s += time.perf_counter() - started
        for name, tool in world.spec.tools.items():
            tools_total += 1
            kinds[tool.kind] += 1
            rules.update(r.kind for r in tool.requires)
            reason = _no_effect_reason(tool)
            if reason:
                no_effect.append((domain.id, name, reason))
        if index % args.check_every:
            continue
        checked += 1
        started = time.perf_counter()
        report = check_world(world)
        check_s += time.perf_counter() - started
        passed += report.passed
        for failure in report.failures:
            by_check[failure.check] += 1
            failures.append((domain.id, failure.tool or "-", failure.check, failure.detail))

    n = len(domains)
    print(f"== external pool: {n} worlds, {tools_total} tools")
    print(f"  compile all worlds: {compile_s:.1f} s (target < 180 s on 2 cores)")
    print(f"  conformance (mechanical + semantic): {check_s:.1f} s")
    share = 100 * passed / checked if checked else 0.0
    sample = f" (every {args.check_every}th world)" if args.check_every > 1 else ""
    print(
        f"  worlds passing conformance{sample}: {share:.1f}% ({passed}/{checked})   (target >= 95%)"
    )
    print(f"  failures by check: {dict(by_check.most_common())}")
    for domain_id, tool, check, detail in failures[: args.list]:
        print(f"    {domain_id} [{tool}] {check}: {detail[:160]}")
    print(f"  tool kinds: {dict(kinds.most_common())}")
    print(f"  rules extracted: {sum(rules.values())} {dict(rules.most_common())}")
    print(f"  write tools with no inferable effect: {len(no_effect)}")
    for domain_id, name, reason in no_effect[: args.list]:
        print(f"    {domain_id} {name}: {reason}")


if __name__ == "__main__":
    main()
