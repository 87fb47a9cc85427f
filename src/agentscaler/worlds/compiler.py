"""Compiling one domain's tools into a world, and writing/reading its folder.

``compile_world(domain_id, name, tools)`` infers the world's spec (or takes a user's edited one),
generates ``tools.py`` and the schema from the spec alone, and returns a runnable
:class:`CompiledWorld`. ``write_world`` stores it as ``spec.yaml``, ``policy.md`` (the agent's
system prompt, see :mod:`agentscaler.worlds.policy`), ``schema.sql``, ``tools.py``,
``tools.json`` (OpenAI tool list), ``world.json`` and ``seed.sqlite``;
:func:`agentscaler.worlds.runtime.loader.load_world` reads it back.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from agentscaler.canonical import content_hash, stable_seed
from agentscaler.jsonl import write_json, write_text_atomic
from agentscaler.records import ToolSpec
from agentscaler.records.world import World
from agentscaler.worlds.codegen.ddl import schema_sql
from agentscaler.worlds.codegen.generate import generate
from agentscaler.worlds.codegen.world import build_bindings, build_tables
from agentscaler.worlds.config import COMPILER_VERSION, WorldConfig
from agentscaler.worlds.infer.propose import propose_spec
from agentscaler.worlds.policy import POLICY_FILE, policy_file
from agentscaler.worlds.runtime.loader import CompiledWorld, code_hash
from agentscaler.worlds.spec.check import check_spec
from agentscaler.worlds.spec.io import SPEC_FILE, dump_spec, spec_hash
from agentscaler.worlds.spec.model import WorldSpec


def world_id(domain_id: str, tools: list[ToolSpec], config: WorldConfig, spec: str = "") -> str:
    return "w" + content_hash(
        {
            "domain": domain_id,
            "tools": sorted(t.id for t in tools),
            "settings": config.compile_settings(),
            "spec": spec,
        },
        length=16,
    )


def compile_world(
    domain_id: str,
    name: str,
    tools: list[ToolSpec],
    config: WorldConfig | None = None,
    *,
    spec: WorldSpec | None = None,
    spec_text: str | None = None,
    spec_source: str | None = None,
) -> CompiledWorld:
    """Compile the tools of one domain into a runnable world (nothing is written to disk).

    Without ``spec`` the spec is inferred from the tools; with it (a user's edited
    ``spec.yaml``, whose text ``spec_text`` is kept as written) the code follows that spec.
    """
    config = config or WorldConfig()
    unique = _unique_names(tools)
    left_out = tuple(t.id for t in tools if t not in unique)
    tools = unique
    source_kind = spec_source or ("user" if spec is not None else "inferred")
    if spec is None:
        spec, _plan = propose_spec(domain_id, name, tools, clock=config.clock)
    interfaces = {t.name: t for t in tools}
    check_spec(spec, interfaces)
    tables, relations = build_tables(spec)
    bindings = build_bindings(spec, interfaces)
    digest = spec_hash(spec)
    world = World(
        id=world_id(domain_id, tools, config, digest),
        domain_id=domain_id,
        name=name,
        tables=tuple(tables),
        relations=tuple(relations),
        tools=tuple(bindings),
        code_hash="",
        seed=stable_seed(config.seed, domain_id) % (2**31),
        rows_per_table=config.rows_per_table,
        compiler_version=COMPILER_VERSION,
        left_out=left_out,
        clock=spec.clock,
        spec_hash=digest,
        spec_source=source_kind,  # type: ignore[arg-type]
    )
    source = generate(
        spec,
        interfaces,
        {b.name: b for b in bindings},
        {t.entity: t for t in tables},
    )
    world = world.model_copy(update={"code_hash": code_hash(source)})
    openai_tools = [interfaces[n].openai_tool() for n in spec.tools]
    compiled = CompiledWorld.from_parts(world, source, openai_tools, config=config)
    compiled.spec = spec
    compiled.spec_text = spec_text if spec_text is not None else dump_spec(spec)
    compiled.empty_image()  # the schema loads in SQLite, once: every state copies the image
    return compiled


def _unique_names(tools: list[ToolSpec]) -> list[ToolSpec]:
    """Drop later tools whose name repeats an earlier one (a world's tool names are unique)."""
    seen: set[str] = set()
    unique = []
    for tool in tools:
        if tool.name not in seen and tool not in unique:
            seen.add(tool.name)
            unique.append(tool)
    return unique


def write_world(compiled: CompiledWorld, world_dir: Path, *, policy: str | None = None) -> Path:
    """Write a compiled world's folder atomically (a temporary folder renamed into place).
    ``policy`` is the text of ``policy.md`` to keep (a user's edited file); without it the
    policy is generated from the spec."""
    world_dir = Path(world_dir)
    world_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{world_dir.name}.", dir=world_dir.parent))
    try:
        if compiled.spec_text is not None:
            write_text_atomic(tmp / SPEC_FILE, compiled.spec_text)
        if policy is None and compiled.spec is not None:
            policy = policy_file(compiled.spec)
        if policy is not None:
            write_text_atomic(tmp / POLICY_FILE, policy)
        write_text_atomic(tmp / "schema.sql", schema_sql(compiled.world))
        write_text_atomic(tmp / "tools.py", compiled.source)
        write_json(tmp / "tools.json", compiled.openai_tools)
        write_json(tmp / "world.json", compiled.world.to_json_dict())
        (tmp / "seed.sqlite").write_bytes(compiled.initial_state())
        if world_dir.exists():
            old = world_dir.with_name(f".{world_dir.name}.old")
            if old.exists():
                shutil.rmtree(old)
            os.replace(world_dir, old)
            os.replace(tmp, world_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, world_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    compiled.path = world_dir
    return world_dir
