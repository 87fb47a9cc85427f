"""LLM-assisted compilation: better code for the tools the templates express badly.

For each chosen tool (by default those compiled to a generic fallback), an LLM sees the world's
schema, the database API, the tool's schema and its template code, and proposes one function.
A candidate must pass the sandbox's safety check, keep the tool's name and READ/WRITE kind, and
add no conformance failure to the world (to any of its tools); otherwise the error is fed back
and the LLM tries again, up to ``WorldConfig.llm_retries`` times. The fallback is per tool: a
tool whose attempts all fail, or whose improvement fails in any unexpected way, keeps its
template code while the other tools keep theirs. Nothing here runs unless ``llm_compile`` is
switched on.
"""

from __future__ import annotations

import ast
import json
import logging
import re
from typing import Any

from agentscaler.errors import AgentscalerError, LLMError
from agentscaler.records import ToolSpec
from agentscaler.worlds.checks.conformance import check_world
from agentscaler.worlds.codegen.ddl import schema_sql
from agentscaler.worlds.config import WorldConfig
from agentscaler.worlds.runtime.loader import CompiledWorld, code_hash, run_tool_code
from agentscaler.worlds.runtime.sandbox import check_source

log = logging.getLogger(__name__)

SYSTEM_PROMPT = """You write the Python code of one tool of a simulated world. The world's state is
a SQLite database; tool code reaches it only through the `db` object:
  db.get(table, key) -> row dict (raises NotFound naming the record)
  db.find(table, where={col: value}, ranges={col: (low, high)}, text=str, limit=int,
          order_by=col, fields=(cols...)) -> list of row dicts (None filters are ignored)
  db.count(table, where=...) -> int;  db.exists(table, key) -> bool
  db.insert(table, {col: value}) -> new row (a missing key gets the next id; foreign keys checked)
  db.update(table, key, {col: value}) -> updated row (None values are left unchanged)
  db.delete(table, key) -> deleted row
  db.derive(schema, tool) -> a value shaped like the JSON schema, fixed per tool
Raise NotFound, PreconditionFailed or InvalidArgument(message) for domain errors; the message
names the record. Rules: no imports; no names or attributes starting with an underscore; no
eval/exec/open/getattr/type/print/format; no classes, generators or global statements; the result
must be JSON data; a READ tool must not write; a WRITE tool must change the database when it
succeeds; the same arguments on the same state must give the same result.
Answer with exactly one function in a ```python block, decorated like the current version."""


def _extract_code(content: str) -> str:
    blocks = re.findall(r"```(?:python|py)?\s*\n(.*?)```", content, flags=re.S)
    code = max(blocks, key=len) if blocks else content
    return code.strip() + "\n"


def _function_span(source: str, python_name: str) -> tuple[int, int]:
    """1-based (first, last) lines of a top-level function, decorators included."""
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == python_name:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            return first, node.end_lineno or node.lineno
    raise AgentscalerError(f"tools.py has no function {python_name!r}")


def _python_name(source: str, tool: str) -> str:
    registry = run_tool_code(source)
    function, _ = registry[tool]
    return function.__name__


def _splice(source: str, python_name: str, candidate: str) -> str:
    first, last = _function_span(source, python_name)
    lines = source.splitlines(keepends=True)
    return "".join(lines[: first - 1]) + candidate.rstrip() + "\n" + "".join(lines[last:])


def _check_candidate(candidate: str, tool: str, kind: str) -> None:
    """Refuse a candidate that is unsafe, is not one tool function, or changes the tool's kind."""
    tree = check_source(candidate, "candidate.py")
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    if len(functions) != 1:
        raise AgentscalerError(
            f"the answer must hold exactly one function, it holds {len(functions)}"
        )
    registry = run_tool_code(candidate, filename="candidate.py")
    if tool not in registry:
        names = ", ".join(registry) or "none"
        raise AgentscalerError(
            f"the function must be registered as tool {tool!r} (registered: {names})"
        )
    options = registry[tool][1]
    if options.get("kind") != kind:
        raise AgentscalerError(
            f"tool {tool} is a {kind.upper()} tool; keep @tool(kind={kind!r}, ...)"
        )


def _messages(world: CompiledWorld, spec: ToolSpec, current: str) -> list[dict[str, Any]]:
    tool = {
        "name": spec.name,
        "description": spec.description,
        "parameters": spec.parameters,
        "returns": spec.returns,
    }
    user = (
        f"Database schema:\n{schema_sql(world.world)}\n"
        f"Tool schema:\n{json.dumps(tool, indent=1)}\n\n"
        f"Current code (a generic version):\n```python\n{current}```\n"
        "Write a better version that reads and writes the database the way this tool should."
    )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def _failures(world: CompiledWorld) -> dict[tuple[str, str | None], str]:
    """The world's conformance failures by (check, tool)."""
    return {(f.check, f.tool): f.detail for f in check_world(world).failures}


def _new_failures(world: CompiledWorld, baseline: dict[tuple[str, str | None], str]) -> list[str]:
    """Failures of ``world`` that the world before the candidate did not have, in any tool."""
    return [
        f"{check}{f' [{tool}]' if tool else ''}: {detail}"
        for (check, tool), detail in _failures(world).items()
        if (check, tool) not in baseline
    ]


def _rebuild(world: CompiledWorld, source: str, llm_tools: set[str]) -> CompiledWorld:
    bindings = tuple(
        b.model_copy(update={"code_source": "llm", "fallback": False}) if b.name in llm_tools else b
        for b in world.world.tools
    )
    record = world.world.model_copy(update={"tools": bindings, "code_hash": code_hash(source)})
    return CompiledWorld.from_parts(record, source, world.openai_tools, config=world.config)


def improve_tool(
    world: CompiledWorld,
    spec: ToolSpec,
    client: Any,
    config: WorldConfig,
    accepted: set[str],
    baseline: dict[tuple[str, str | None], str] | None = None,
) -> CompiledWorld | None:
    """The world with an LLM's version of one tool, or None when no candidate passed.

    ``baseline`` holds the conformance failures the world already has (computed when None); a
    candidate that adds one, in this tool or another, is refused.
    """
    baseline = _failures(world) if baseline is None else baseline
    binding = world.binding(spec.name)
    python_name = _python_name(world.source, spec.name)
    first, last = _function_span(world.source, python_name)
    current = "".join(world.source.splitlines(keepends=True)[first - 1 : last])
    messages = _messages(world, spec, current)
    for attempt in range(1, config.llm_retries + 1):
        try:
            answer = client.chat_sync(messages).message.content or ""
        except LLMError as exc:
            log.warning("LLM compilation of %s stopped: %s", spec.name, exc)
            return None
        candidate = _extract_code(answer)
        try:
            _check_candidate(candidate, spec.name, binding.kind)
            source = _splice(world.source, python_name, candidate)
            trial = _rebuild(world, source, accepted | {spec.name})
            failures = _new_failures(trial, baseline)
        except Exception as exc:  # the candidate is untrusted code: any failure refuses it
            failures = [str(exc) if isinstance(exc, AgentscalerError) else f"{exc!r}"]
        if not failures:
            log.info("LLM code for %s accepted after %d attempt(s)", spec.name, attempt)
            return trial
        problem = "; ".join(failures)[:2000]
        log.info("LLM code for %s refused (attempt %d): %s", spec.name, attempt, problem)
        messages = [
            *messages,
            {"role": "assistant", "content": answer},
            {
                "role": "user",
                "content": f"That version was refused: {problem}\nFix it and answer again.",
            },
        ]
    return None


def improve_world(
    world: CompiledWorld, specs: list[ToolSpec], client: Any, config: WorldConfig
) -> CompiledWorld:
    """The world with LLM code for its fallback tools (or all tools) wherever a candidate passed;
    every other tool keeps its template code, whatever went wrong with it."""
    accepted: set[str] = set()
    by_name = {s.name: s for s in specs}
    baseline = _failures(world)
    for binding in world.world.tools:
        if config.llm_tools == "fallback" and not binding.fallback:
            continue
        spec = by_name.get(binding.name)
        if spec is None:
            continue
        try:
            improved = improve_tool(world, spec, client, config, accepted, baseline)
        except Exception as exc:  # one tool's failure never costs the world
            log.warning(
                "LLM compilation of %s failed (%s: %s); the tool keeps its template code",
                binding.name,
                type(exc).__name__,
                exc,
            )
            continue
        if improved is not None:
            accepted.add(binding.name)
            world = improved
    return world
