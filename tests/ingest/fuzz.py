"""Fuzzed tool catalogs: valid tools mixed with every kind of broken record, in JSON arrays,
``{"tools": [...]}`` objects, JSON Lines and YAML. Used by ``test_ingest_fuzz.py`` and
``bench/faults.py``; every record must come out kept or rejected with its own reason."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

TYPES = ("string", "integer", "number", "boolean")


class Text(str):
    """A record given as JSON text (for what ``json.dumps`` cannot write: NaN, deep nesting)."""


def _tool(name: str, properties: dict[str, Any], description: Any = "A tool.") -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": properties},
        },
    }


def _params(rng: random.Random, n: int | None = None) -> dict[str, Any]:
    n = rng.randint(0, 6) if n is None else n
    return {
        f"p{i}_{rng.randrange(1000)}": {"type": rng.choice(TYPES), "description": f"param {i}"}
        for i in range(n)
    }


def _nested(depth: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(depth):
        schema = {"type": "object", "properties": {"x": schema}}
    return schema


# mutation name -> (weight, builder(rng, name) -> record as JSON text or a value)
MUTATIONS: dict[str, tuple[int, Callable[[random.Random, str], Any]]] = {
    "valid": (40, lambda r, n: _tool(n, _params(r))),
    "exact copy": (4, lambda r, n: _tool("copied_tool", {"a": {"type": "string"}})),
    "missing name": (3, lambda r, n: {"type": "function", "function": {"parameters": {}}}),
    "name not text": (3, lambda r, n: _tool(r.choice([7, None, ["x"], {"a": 1}]), {})),
    "description not text": (3, lambda r, n: _tool(n, {}, description={"text": "x"})),
    "huge description": (1, lambda r, n: _tool(n, {}, description="x" * 2_000_000)),
    "5,000 parameters": (1, lambda r, n: _tool(n, _params(r, 5000))),
    "nested 40 levels": (3, lambda r, n: _tool(n, {"deep": _nested(40)})),
    "nested 3,000 levels": (
        2,
        lambda r, n: Text(
            json.dumps(_tool(n, {})).replace(
                '"properties": {}', '"properties": {"x": ' + "[" * 3000 + "]" * 3000 + "}"
            )
        ),
    ),
    "NaN default": (
        3,
        lambda r, n: Text(
            json.dumps(_tool(n, {"v": {"type": "number", "default": 0.5}})).replace(
                "0.5", r.choice(["NaN", "Infinity", "-Infinity"])
            )
        ),
    ),
    "unknown type": (3, lambda r, n: _tool(n, {"v": {"type": "Strng"}})),
    "unresolved $ref": (3, lambda r, n: _tool(n, {"v": {"$ref": "#/$defs/Missing"}})),
    "parameters not an object": (
        3,
        lambda r, n: {"type": "function", "function": {"name": n, "parameters": [1, 2]}},
    ),
    "enum not a list": (3, lambda r, n: _tool(n, {"v": {"type": "string", "enum": "a|b"}})),
    "not a tool": (3, lambda r, n: r.choice([42, "tool", [1, 2], None, {"x": 1}])),
    "lone surrogate name": (
        2,
        lambda r, n: Text(json.dumps(_tool(n, {})).replace(n, n + "\\ud800")),
    ),
    "non-function type": (2, lambda r, n: {"type": "retrieval", "name": n}),
}


def fuzzed_catalog(folder: Path, records: int, seed: int = 0) -> dict[tuple[str, int], str]:
    """Write ``records`` fuzzed records into files under ``folder``; return ``{(file, index):
    mutation}`` for every record (index as the import reports it: 0-based in a document, the
    1-based line in JSON Lines)."""
    rng = random.Random(seed)
    names = list(MUTATIONS)
    weights = [MUTATIONS[m][0] for m in names]
    folder.mkdir(parents=True, exist_ok=True)
    planned: dict[tuple[str, int], str] = {}
    made = 0
    number = 0
    while made < records:
        size = min(records - made, rng.randint(20, 120))
        shape = rng.choice(["array", "object", "jsonl", "yaml"])
        number += 1
        path = (
            folder / f"part{number:03d}.{ {'jsonl': 'jsonl', 'yaml': 'yaml'}.get(shape, 'json') }"
        )
        texts: list[str] = []
        for index in range(size):
            mutation = rng.choices(names, weights)[0]
            if shape == "yaml" and mutation.startswith(("nested 3,000", "NaN", "lone")):
                mutation = "valid"  # JSON-text mutations; YAML gets its own below
            value = MUTATIONS[mutation][1](rng, f"tool_{number}_{index}")
            texts.append(value if isinstance(value, Text) else json.dumps(value))
            key_index = index + 1 if shape == "jsonl" else index
            planned[(str(path), key_index)] = mutation
        if shape == "jsonl":
            path.write_text("\n".join(texts) + "\n")
        elif shape == "yaml":
            import yaml

            values = [json.loads(t) for t in texts]
            path.write_text(yaml.safe_dump(values, width=10_000, allow_unicode=True))
        elif shape == "array":
            path.write_text("[\n" + ",\n".join(texts) + "\n]\n")
        else:
            path.write_text('{"tools": [\n' + ",\n".join(texts) + "\n]}\n")
        made += size
    return planned


def account(result: Any, planned: dict[tuple[str, int], str]) -> dict[str, Any]:
    """Which planned records were kept, rejected, both or neither (``result`` from
    ``import_sources``)."""
    kept = {
        (p.source, p.index)
        for tool in result.tools
        for p in tool.provenance
        if (p.source, p.index) in planned
    }
    rejected: dict[tuple[str, int], list[Any]] = {}
    for reject in result.rejects:
        rejected.setdefault((reject.source, reject.index), []).append(reject)
    return {
        "kept": kept,
        "rejected": rejected,
        "lost": sorted(set(planned) - kept - set(rejected)),
        "both": sorted(kept & set(rejected)),
        "twice": sorted(k for k, v in rejected.items() if len(v) > 1),
        "whole_files": [r for r in result.rejects if r.index is None],
    }
