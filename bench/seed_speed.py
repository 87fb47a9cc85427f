"""Seeding speed alone: the clock of ``bench/seed_quality.py`` without its checks.

    python bench/seed_speed.py [--external-run DIR] [--rows 50]

Over one world per built-in vertical (``--rows`` rows per table) and, with ``--external-run``
(a run folder with ``domains.jsonl``, as ``bench/seed_quality.py`` builds it), over every world
of the external pool (20 rows per table): rows per second of CPU (process time) of a world's
first state (``seed_state``, its plans made) and of its next one, and the ratio of their times.
As in ``bench/seed_quality.py``, the one-time value pools are loaded before the clock starts and
the compiled worlds are frozen out of Python's cyclic collector (``gc.freeze()``).
"""

from __future__ import annotations

import argparse
import gc
import os
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from agentscaler.catalog import builtin_tools
from agentscaler.worlds.compiler import compile_world
from agentscaler.worlds.seeding.seed import seed_rows
from agentscaler.worlds.seeding.values import draw_pools


def measure(worlds: list[Any], rows: int) -> tuple[int, float, float]:
    """``(rows, seconds of first states, seconds of next states)`` over ``worlds``."""
    count, first, following = 0, 0.0, 0.0
    for world in worlds:
        spec = world.load_spec()
        if spec is None:
            continue
        started = time.process_time()
        world.seed_state(7, rows)
        first += time.process_time() - started
        started = time.process_time()
        world.seed_state(8, rows)
        following += time.process_time() - started
        count += sum(len(v) for v in seed_rows(world.world, 7, rows, spec).values())
    return count, first, following


def report(label: str, worlds: list[Any], rows: int) -> None:
    gc.freeze()
    count, first, following = measure(worlds, rows)
    print(
        f"{label} ({len(worlds)} worlds, {count} rows): {count / max(first, 1e-9):,.0f} rows/s "
        f"of CPU for a world's first state, {count / max(following, 1e-9):,.0f} for its next "
        f"ones; first over next {first / max(following, 1e-9):.2f}x "
        f"(load average {os.getloadavg()[0]:.1f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50, help="Rows per built-in table.")
    parser.add_argument("--external-run", type=Path, help="Run folder of the external pool.")
    args = parser.parse_args()
    draw_pools()
    verticals: dict[str, list[Any]] = defaultdict(list)
    for tool in builtin_tools():
        verticals[tool.tag_value("vertical") or "misc"].append(tool)
    worlds = [compile_world(f"v-{v}", v, tools) for v, tools in sorted(verticals.items())]
    report("built-in catalog", worlds, args.rows)
    if args.external_run is None:
        return
    from agentscaler.jsonl import read_records
    from agentscaler.records import Domain, ToolSpec

    root = args.external_run
    pool = {t.id: t for t in read_records(root / "tools.jsonl", ToolSpec)}
    external = []
    for domain in read_records(root / "domains.jsonl", Domain):
        tools = [pool[m.tool_id] for m in domain.members if m.tool_id in pool]
        try:
            external.append(compile_world(domain.id, domain.name, tools))
        except Exception:
            continue
    report("external pool", external, 20)


if __name__ == "__main__":
    main()
