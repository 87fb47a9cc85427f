"""Throughput of the ingestion stage over the whole external pool (BFCL + Seal-Tools + ACEBench).

    python bench/ingest.py [--repeat 3] [SOURCE ...]

Prints, for the best and the median of ``--repeat`` runs of ``import_sources``: seconds, records
read per second and pool tools per second; and a baseline measured in the same run: reading
and ``json.loads``-ing the same files line by line (the parsing floor any importer pays), with
the ratio import / baseline. The target is the ~10k-tool pool in under 10 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXTERNAL = REPO.parent / "shared" / "external"
DEFAULT_SOURCES = [
    EXTERNAL / "bfcl",
    EXTERNAL / "seal-tools" / "tool.jsonl",
    EXTERNAL / "acebench" / "data_en",
]
TARGET_SECONDS = 10.0


def parse_only(sources: list[str]) -> float:
    """Seconds to read and parse every catalog file the import reads (no normalization)."""
    from agentscaler.ingest.config import IngestConfig
    from agentscaler.ingest.sources import plan_sources

    files = [f.path for f in plan_sources(sources, IngestConfig()).files if f.path is not None]
    start = time.perf_counter()
    for path in files:
        text = path.read_text(encoding="utf-8")
        try:
            json.loads(text)
        except json.JSONDecodeError:
            for line in text.split("\n"):
                if line.strip():
                    json.loads(line)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sources", nargs="*", help="catalogs to import (default: external pool)")
    parser.add_argument("--repeat", type=int, default=3, help="runs to time (default 3)")
    args = parser.parse_args()
    sources = [str(s) for s in (args.sources or DEFAULT_SOURCES)]
    missing = [s for s in sources if not Path(s).exists()]
    if missing:
        print(f"missing source {missing[0]} (see ../shared/external/README.md)", file=sys.stderr)
        return 2

    started = time.perf_counter()
    from agentscaler.ingest import import_sources

    import_seconds = time.perf_counter() - started
    runs, cpu, result = [], [], None
    for _ in range(args.repeat):
        wall, process = time.perf_counter(), time.process_time()
        result = import_sources(sources)
        runs.append(time.perf_counter() - wall)
        cpu.append(time.process_time() - process)
    baseline = min(parse_only(sources) for _ in range(args.repeat))
    assert result is not None
    summary = result.summary

    print(f"sources: {', '.join(sources)}")
    print(
        f"records read {summary.records_read}, tools kept {summary.kept} (exact copies merged "
        f"{summary.exact_merged}, near duplicates merged {summary.near_merged}, rejected "
        f"{summary.rejected}); package import {import_seconds:.2f} s"
    )
    print(f"{'':<24}{'seconds':>10}{'records/s':>12}{'tools/s':>10}{'cpu s':>8}")
    for label, seconds, cpu_seconds in (
        ("import (best)", min(runs), min(cpu)),
        ("import (median)", statistics.median(runs), statistics.median(cpu)),
    ):
        print(
            f"{label:<24}{seconds:>10.2f}{summary.records_read / seconds:>12.0f}"
            f"{summary.kept / seconds:>10.0f}{cpu_seconds:>8.2f}"
        )
    print(
        f"{'baseline: parse only':<24}{baseline:>10.2f}{summary.records_read / baseline:>12.0f}"
        f"{'':>10}{'':>8}"
    )
    print(f"ratio import/baseline (best): {min(runs) / baseline:.1f}x")
    verdict = "met" if min(runs) < TARGET_SECONDS else "NOT met"
    print(f"target: {summary.kept} tools in < {TARGET_SECONDS:.0f} s: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
