"""The body of a compute tool whose spec states its formulas: one line per result field, each
formula written out in the generated code (``mean = db.mean(numbers)``), then the result."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agentscaler.worlds.schemas import resolve_schema, schema_type
from agentscaler.worlds.spec.expr import Scope, value_to_python
from agentscaler.worlds.spec.model import SpecTool


def returns_bare(schema: dict[str, Any] | None) -> bool:
    """Whether the tool returns its one computed value itself rather than an object of fields."""
    if not schema:
        return False
    json_type = schema_type(resolve_schema(schema))
    return json_type is not None and json_type != "object"


def formula_lines(
    tool: SpecTool,
    scope: Scope,
    where: Callable[[str], str],
    local: Callable[[str], str],
    returns: dict[str, Any] | None,
) -> list[str]:
    """Python lines computing each field of ``tool.compute`` and returning the result."""
    lines: list[str] = []
    names: dict[str, str] = {}
    for field, formula in tool.compute.items():
        var = local(field)
        lines.append(f"{var} = {value_to_python(formula, scope, where(f'compute.{field}'))}")
        names[field] = var
    if returns_bare(returns) and len(names) == 1:
        lines.append(f"return {next(iter(names.values()))}")
    else:
        inner = ", ".join(f'"{field}": {var}' for field, var in names.items())
        lines.append(f"return {{{inner}}}")
    return lines


__all__ = ["formula_lines", "returns_bare"]
