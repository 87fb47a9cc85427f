"""The hand-labelled semantics of write tools (bench/labels): files load, cover, and quote.

The labels are ground truth for the world-semantics benchmark. These tests check that they stay
consistent with what they label: every write tool of the built-in catalog has exactly one label,
names and status values are the catalog's, quoted texts are verbatim, and the external sample is
exactly the walk of the deterministic draw. Each check is also shown to catch a broken label.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from functools import cache
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from agentscaler.catalog import builtin_tools, read_vertical, verticals
from agentscaler.errors import ConfigError
from agentscaler.records.tool import ToolSpec

LABELS = Path(__file__).resolve().parents[2] / "bench" / "labels"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _bench_module(name: str) -> ModuleType:
    """A module of bench/labels (not a package), loaded once under a private name."""
    qualified = f"_bench_labels_{name}"
    if qualified not in sys.modules:
        spec = importlib.util.spec_from_file_location(qualified, LABELS / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[qualified] = module
        spec.loader.exec_module(module)
    return sys.modules[qualified]


schema = _bench_module("schema")
sampling = _bench_module("sample_external")


def _norm(text: str) -> str:
    return " ".join(text.split())


def _fragments(text: str) -> list[str]:
    return [_norm(part) for part in text.split(schema.FRAGMENT_SEP)]


def _descriptions(value: Any) -> list[str]:
    """Every ``description`` string inside a JSON schema, nested properties and items included."""
    found: list[str] = []
    if isinstance(value, dict):
        if isinstance(value.get("description"), str):
            found.append(_norm(value["description"]))
        for item in value.values():
            found += _descriptions(item)
    elif isinstance(value, list):
        for item in value:
            found += _descriptions(item)
    return found


# --- the built-in catalog ---------------------------------------------------------------------


@cache
def _entities(slug: str) -> dict[str, dict[str, dict[str, Any]]]:
    """``{entity: {field: resolved schema}}`` of one built-in vertical."""
    path = resources.files("agentscaler.catalog") / "verticals" / f"{slug}.yaml"
    vertical = read_vertical(path.read_text(encoding="utf-8"), where=f"verticals/{slug}.yaml")
    return {
        entity: {
            field: own if own is not None else vertical.fields[field]
            for field, own in fields.items()
        }
        for entity, fields in vertical.entities.items()
    }


def _write_tools() -> dict[str, ToolSpec]:
    """``{'<vertical>/<tool>': spec}`` of every write tool of the built-in catalog."""
    return {
        f"{tool.tag_value('vertical')}/{tool.name}": tool
        for tool in builtin_tools()
        if tool.tag_value("kind") == "write"
    }


def _columns(entities: dict[str, dict[str, dict[str, Any]]], name: str) -> dict[str, Any] | None:
    """The fields of ``entity`` or of the items of ``entity.list_field``; None when unknown."""
    base, _, child = name.partition(".")
    fields = entities.get(base)
    if fields is None or not child:
        return fields
    items = (fields.get(child) or {}).get("items") or {}
    return items.get("properties") if fields.get(child, {}).get("type") == "array" else None


def builtin_problems(labels: Any, tools: dict[str, ToolSpec]) -> list[str]:
    """What is inconsistent between the built-in labels and the catalog (empty when all is)."""
    problems = [f"{key}: write tool without a label" for key in tools.keys() - labels.tools.keys()]
    problems += [f"{key}: no such write tool" for key in labels.tools.keys() - tools.keys()]
    for key, label in labels.tools.items():
        tool = tools.get(key)
        if tool is None:
            continue
        entities = _entities(key.split("/")[0])
        where = f"{key}"
        if label.name != tool.name:
            problems.append(f"{where}: name {label.name!r} is not {tool.name!r}")
        params = tool.parameters.get("properties", {})
        said = [_norm(tool.description), *_descriptions(params)]
        defined = [_norm(s.get("description", "")) for f in entities.values() for s in f.values()]
        main = label.entity[0]
        for name in (main, *label.writes):
            if _columns(entities, name) is None:
                problems.append(f"{where}: entity {name!r} is not in the vertical")
        enums = {v for s in (entities.get(main) or {}).values() for v in s.get("enum", ())}
        if label.status_to is not None and label.status_to not in enums:
            problems.append(f"{where}: status_to {label.status_to!r} is no enum value of {main}")
        for item in (*label.rules, *label.effects, *label.implied):
            quoted = defined if item in label.implied else said
            for fragment in _fragments(item.text):
                if not any(fragment in text for text in quoted):
                    problems.append(f"{where}: text {fragment!r} is not quoted verbatim")
        for rule in label.rules:
            owner = rule.entity or main
            columns = _columns(entities, owner)
            if columns is None:
                problems.append(f"{where}: rule entity {owner!r} is not in the vertical")
                continue
            if rule.column is not None and rule.column not in columns:
                problems.append(f"{where}: rule column {owner}.{rule.column} does not exist")
            if rule.kind == "status":
                enum = set(columns.get(rule.column or "status", {}).get("enum", ()))
                for value in (*rule.allowed, *rule.forbidden):
                    if value not in enum:
                        problems.append(f"{where}: status {value!r} not in {owner} enum")
            for field in rule.on:
                if field not in columns:
                    problems.append(f"{where}: unique field {owner}.{field} does not exist")
            for name in (rule.owner,) if rule.owner else ():
                if name not in entities:
                    problems.append(f"{where}: owner {name!r} is not in the vertical")
            if rule.field is not None and rule.field not in (columns if rule.entity else params):
                problems.append(f"{where}: limit field {rule.field!r} does not exist")
            for field in rule.fields:
                other, _, column = field.rpartition(".")
                known = _columns(entities, other) if other else {**params, **columns}
                if known is None or column not in known:
                    problems.append(f"{where}: date field {field!r} does not exist")
        for effect in (*label.effects, *label.implied):
            columns = _columns(entities, effect.entity)
            if columns is None:
                problems.append(f"{where}: effect entity {effect.entity!r} is not in the vertical")
            elif effect.column is not None and effect.column not in columns:
                problems.append(f"{where}: effect column {effect.entity}.{effect.column} missing")
    return problems


@pytest.fixture(scope="module")
def builtin_labels():
    return schema.load_labels(LABELS / "builtin_writes.yaml")


@pytest.fixture(scope="module")
def write_tools() -> dict[str, ToolSpec]:
    return _write_tools()


def test_builtin_labels_cover_every_write_tool_consistently(builtin_labels, write_tools):
    assert isinstance(builtin_labels, schema.LabelFile)
    assert len(write_tools) == 267 and len(verticals()) == 35
    assert builtin_problems(builtin_labels, write_tools) == []


def _replace(labels: Any, key: str, **update: Any) -> Any:
    tools = dict(labels.tools)
    tools[key] = tools[key].model_copy(update=update)
    return labels.model_copy(update={"tools": tools})


def test_builtin_checks_catch_broken_labels(builtin_labels, write_tools):
    key = "retail_orders/cancel_order"
    label = builtin_labels.tools[key]
    tools = {k: v for k, v in builtin_labels.tools.items() if k != key}
    dropped = builtin_labels.model_copy(update={"tools": tools})
    assert builtin_problems(dropped, write_tools) == [f"{key}: write tool without a label"]

    read_tool = {**builtin_labels.tools, "retail_orders/get_order": label}
    extra = builtin_labels.model_copy(update={"tools": read_tool})
    assert builtin_problems(extra, write_tools) == ["retail_orders/get_order: no such write tool"]

    rule = label.rules[0].model_copy(update={"allowed": ("pending", "open")})
    problems = builtin_problems(_replace(builtin_labels, key, rules=(rule,)), write_tools)
    assert problems == [f"{key}: status 'open' not in order enum"]

    rule = label.rules[0].model_copy(update={"text": "Only pending orders can be cancelled."})
    problems = builtin_problems(_replace(builtin_labels, key, rules=(rule,)), write_tools)
    assert problems == [
        f"{key}: text 'Only pending orders can be cancelled.' is not quoted verbatim"
    ]

    effect = label.effects[0].model_copy(update={"column": "stock"})
    problems = builtin_problems(_replace(builtin_labels, key, effects=(effect,)), write_tools)
    assert problems == [f"{key}: effect column product.stock missing"]

    problems = builtin_problems(_replace(builtin_labels, key, status_to="canceled"), write_tools)
    assert problems == [f"{key}: status_to 'canceled' is no enum value of order"]


# --- the external sample ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def external_pool() -> dict[str, ToolSpec]:
    """The external pool imported once per session with the product's importer."""
    missing = [str(p) for p in sampling.source_paths() if not p.exists()]
    if missing:
        message = f"external data missing: {', '.join(missing)} (see ../shared/external/README.md)"
        if IN_CI:
            pytest.fail(message + "; CI=true requires it")
        pytest.skip(message)
    from agentscaler.ingest import import_sources

    result = import_sources([str(p) for p in sampling.source_paths()])
    return {tool.id: tool for tool in result.tools}


@pytest.fixture(scope="module")
def external_labels():
    return schema.load_labels(LABELS / "external_writes.yaml")


def external_problems(labels: Any, pool: dict[str, ToolSpec]) -> list[str]:
    """What is inconsistent between the external labels, the pool and the draw's walk."""
    problems = []
    labelled, skipped = list(labels.tools), [entry.id for entry in labels.skipped]
    for tool_id in labelled + skipped:
        if tool_id not in pool:
            problems.append(f"{tool_id}: not in the imported pool")
    if problems:
        return problems
    walked = sampling.shuffled_ids(pool)[: len(labelled) + len(skipped)]
    if set(walked) != set(labelled) | set(skipped) or len(set(labelled) | set(skipped)) != len(
        walked
    ):
        problems.append("labelled and skipped tools are not the first tools of the draw")
    if [t for t in walked if t in labels.tools] != labelled:
        problems.append("labelled tools are not in the order of the draw")
    if [t for t in walked if t not in labels.tools] != skipped:
        problems.append("skipped tools are not in the order of the draw")
    if walked and walked[-1] not in labels.tools:
        problems.append("the walk goes on past the last labelled write")
    for entry in labels.skipped:
        if entry.name != pool[entry.id].name:
            problems.append(
                f"{entry.id}: skipped name {entry.name!r} is not {pool[entry.id].name!r}"
            )
    for tool_id, label in labels.tools.items():
        tool = pool[tool_id]
        if label.name != tool.name:
            problems.append(f"{tool_id}: name {label.name!r} is not {tool.name!r}")
        said = [_norm(tool.description), *_descriptions(tool.parameters)]
        said += _descriptions(tool.returns or {})
        for item in (*label.rules, *label.effects, *label.implied):
            for fragment in _fragments(item.text):
                if not any(fragment in text for text in said):
                    problems.append(f"{tool_id}: text {fragment!r} is not quoted verbatim")
    return problems


def test_external_labels_are_the_first_sixty_writes_of_the_draw(external_labels, external_pool):
    assert isinstance(external_labels, schema.ExternalLabelFile)
    assert len(external_labels.tools) == 60
    assert external_problems(external_labels, external_pool) == []


def test_external_checks_catch_a_broken_draw(external_labels, external_pool):
    items = list(external_labels.tools.items())
    swapped = dict([items[1], items[0], *items[2:]])
    broken = external_labels.model_copy(update={"tools": swapped})
    assert external_problems(broken, external_pool) == [
        "labelled tools are not in the order of the draw"
    ]

    dropped = external_labels.model_copy(update={"skipped": external_labels.skipped[1:]})
    assert "labelled and skipped tools are not the first tools of the draw" in external_problems(
        dropped, external_pool
    )

    extra = sampling.shuffled_ids(external_pool)[len(items) + len(external_labels.skipped)]
    more = (*external_labels.skipped, schema.Skipped(id=extra, name="x", reason="read"))
    longer = external_labels.model_copy(update={"skipped": more})
    assert "the walk goes on past the last labelled write" in external_problems(
        longer, external_pool
    )


def test_sampling_script_prints_the_draw(external_pool, capsys, tmp_path):
    from agentscaler.jsonl import write_records

    pool = tmp_path / "pool.jsonl"
    write_records(pool, list(external_pool.values()))
    assert sampling.main(["--pool", str(pool), "--limit", "5"]) == 0
    printed = capsys.readouterr().out.split()
    assert printed == sampling.shuffled_ids(external_pool)[:5]
    assert sampling.shuffled_ids(["tb", "ta", "tc"]) == sampling.shuffled_ids(["tc", "tb", "ta"])


# --- the file format --------------------------------------------------------------------------


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "labels.yaml"
    path.write_text(text, encoding="utf-8")
    return path


HEADER = 'version: 1\nlabelled: "2026-12-06"\ntools:\n  a/b:\n    name: b\n    entity: [x]\n'


def test_load_labels_names_the_file_and_the_field(tmp_path):
    path = _write(tmp_path, HEADER + "    effect: cancel\n    writes: [x]\n")
    with pytest.raises(ConfigError, match=r"labels\.yaml.*tools\.a/b\.effect"):
        schema.load_labels(path)

    rule = "    rules:\n      - {kind: status, text: must be open}\n"
    path = _write(tmp_path, HEADER + "    effect: update\n    writes: [x]\n" + rule)
    with pytest.raises(ConfigError, match="a 'status' rule needs 'allowed' or 'forbidden'"):
        schema.load_labels(path)

    rule = "    rules:\n      - {kind: unique, text: one per name, on: [name]}\n"
    path = _write(tmp_path, HEADER + "    effect: create\n    writes: [x]\n" + rule)
    with pytest.raises(ConfigError, match='quote the key "on"'):
        schema.load_labels(path)

    path = _write(tmp_path, HEADER + "    effect: create\n    writes: [y]\n")
    with pytest.raises(ConfigError, match="must name the entity 'x'"):
        schema.load_labels(path)

    effect = "    effects:\n      - {kind: decrement, entity: z, column: n, text: takes one}\n"
    path = _write(tmp_path, HEADER + "    effect: create\n    writes: [x]\n" + effect)
    with pytest.raises(ConfigError, match="effect on 'z' is missing from 'writes'"):
        schema.load_labels(path)

    with pytest.raises(ConfigError, match="cannot read"):
        schema.load_labels(tmp_path / "absent.yaml")
