"""The deterministic draw of external tools labelled in ``external_writes.yaml``.

    python bench/labels/sample_external.py [--pool POOL.jsonl] [--limit N] [--names]

The pool is the product's import of the BFCL, Seal-Tools and ACEBench data under
``../shared/external`` (the same as ``agentscaler tools import <the three sources> --out POOL``);
``--pool`` reads a pool file written that way instead of importing again. The draw sorts the tool
ids ascending and shuffles them with ``random.Random(SEED)``; this prints the shuffled ids in
order, one per line (``--names`` adds the tool name). A reader walks that list, judges each tool a
write or not, labels the first 60 writes and records every tool passed over, so the labels file's
tools and skipped entries are exactly a prefix of this order.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

SEED = 20261206
"""Seed of the shuffle (the labelling date)."""

EXTERNAL = Path(__file__).resolve().parents[2].parent / "shared" / "external"
"""The external reference data (``../shared/external`` beside the repository)."""

SOURCES = ("bfcl", "seal-tools/tool.jsonl", "acebench/data_en")
"""The imported sources, relative to :data:`EXTERNAL`, in the order given to the importer."""


def source_paths(root: Path = EXTERNAL) -> list[Path]:
    """The three source paths under ``root``."""
    return [root / relative for relative in SOURCES]


def shuffled_ids(ids: Iterable[str], seed: int = SEED) -> list[str]:
    """The ids sorted ascending, then shuffled with ``random.Random(seed)``."""
    order = sorted(set(ids))
    random.Random(seed).shuffle(order)
    return order


def import_pool(root: Path = EXTERNAL) -> dict[str, str]:
    """Import the external sources with the product's importer: ``{tool id: tool name}``."""
    from agentscaler.ingest import import_sources

    missing = [str(p) for p in source_paths(root) if not p.exists()]
    if missing:
        raise FileNotFoundError(
            f"external data missing: {', '.join(missing)} (see ../shared/external/README.md)"
        )
    result = import_sources([str(p) for p in source_paths(root)])
    return {tool.id: tool.name for tool in result.tools}


def read_pool(path: Path) -> dict[str, str]:
    """``{tool id: tool name}`` of a pool file written by ``agentscaler tools import``."""
    from agentscaler.jsonl import read_records
    from agentscaler.records.tool import ToolSpec

    return {tool.id: tool.name for tool in read_records(path, ToolSpec)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pool", type=Path, help="a pool file instead of importing again")
    parser.add_argument("--limit", type=int, default=None, help="print only the first N ids")
    parser.add_argument("--names", action="store_true", help="print 'id<TAB>name' lines")
    args = parser.parse_args(argv)
    tools = read_pool(args.pool) if args.pool else import_pool()
    order = shuffled_ids(tools)[: args.limit]
    for tool_id in order:
        print(f"{tool_id}\t{tools[tool_id]}" if args.names else tool_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
