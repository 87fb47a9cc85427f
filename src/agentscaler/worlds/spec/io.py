"""``spec.yaml``: the readable form of a world spec, written by inference and edited by users.

:func:`dump_spec` writes a stable, commented YAML (defaults left out, short mappings on one
line); :func:`load_spec` reads it back and names the file, the tool or entity and the field of
anything wrong (``spec.yaml: tools.cancel_order.requires[0].check: ...``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from agentscaler.canonical import content_hash
from agentscaler.errors import SpecError
from agentscaler.jsonl import write_text_atomic
from agentscaler.worlds.spec.model import WorldSpec

SPEC_FILE = "spec.yaml"

_HEADER = """\
# What the world {name!r} means: its entities (tables, keys, columns and what their values
# mean) and, for every tool, how it finds rows, the rules it enforces and the changes it makes.
# tools.py and schema.sql are generated from this file: edit it, then run
#   agentscaler worlds build RUN --domain {domain}
# and your edits are kept (inference never overwrites an edited spec unless --force is given).
# Values: `$name` is the tool argument `name`; a string starting with `=` is an expression
# (`=order.total`, `=product.stock_quantity - item.quantity`); anything else is a literal.
# Conditions (check, when) are expressions. Functions: now(), today(), len(), sum(), min(),
# max(), round(), abs(), lower(), coalesce(), count("entity", col=value), exists(...), rows(...),
# total("entity", "column", ...), average(...), days_between(), hours_between(),
# years_between(), weekday(), working_days(), add_days(), add_hours().
# Effects: insert, update, increment, decrement, delete (a bound row), clear (rows of an entity
# matching `values`), update_all (set `values` on the rows of an entity matching `where`).
# `user` is the entity of the people the agent serves; an entity's `owner` is the column through
# which its rows belong to one of them (the policy: change only the identified user's records).
"""

_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Dumper(yaml.SafeDumper):
    """Block style for nested mappings, flow style for short scalar-only ones."""


def _represent_dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    flow = (
        len(data) <= 6
        and all(not isinstance(v, dict | list | tuple) for v in data.values())
        and sum(len(str(k)) + len(str(v)) + 4 for k, v in data.items()) <= 80
    )
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flow)


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(not isinstance(v, dict | list | tuple) for v in data) and len(str(data)) <= 80
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(tuple, _represent_list)
_Dumper.add_representer(str, _represent_str)


def spec_data(spec: WorldSpec) -> dict[str, Any]:
    """The spec as plain data without default values (what ``spec.yaml`` holds)."""
    return spec.model_dump(mode="json", exclude_defaults=True, exclude={"schema_version"}) | {
        "schema_version": spec.schema_version
    }


def spec_hash(spec: WorldSpec) -> str:
    """Content hash of a spec (formatting and comments of the file do not count; a tool without
    formulas, or whose arguments all spell values as their columns do, hashes as it did before
    specs had them, so its world keeps its id and states)."""
    data = spec.model_dump(mode="json")
    for tool in data["tools"].values():
        if not tool.get("compute"):
            tool.pop("compute", None)
        for param in tool.get("params", {}).values():
            if param.get("spelling") is None:
                param.pop("spelling", None)
    return content_hash(data, length=16)


def dump_spec(spec: WorldSpec) -> str:
    """The text of ``spec.yaml`` for ``spec``."""
    data = spec_data(spec)
    ordered = {
        "schema_version": data.pop("schema_version"),
        "domain": data.pop("domain"),
        "name": data.pop("name"),
        "clock": data.pop("clock"),
        "entities": data.pop("entities", {}),
        "tools": data.pop("tools", {}),
        **data,
    }
    body = yaml.dump(
        ordered, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100, indent=2
    )
    return _HEADER.format(name=spec.name, domain=spec.domain) + body


def write_spec(spec: WorldSpec, path: Path) -> None:
    write_text_atomic(path, dump_spec(spec))


def _location(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def parse_spec(text: str, where: str) -> WorldSpec:
    """A spec from YAML text; errors name ``where`` (the file) and the field."""
    try:
        data = yaml.load(text, Loader=_YamlLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise SpecError(f"{where}{at}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise SpecError(f"{where}: expected a mapping with entities and tools at the top")
    found = data.get("schema_version", WorldSpec.SCHEMA_VERSION)
    if found != WorldSpec.SCHEMA_VERSION:
        raise SpecError(
            f"{where}: schema_version {found!r}; this release reads spec version "
            f"{WorldSpec.SCHEMA_VERSION}. Rebuild the world with --force to infer a new spec."
        )
    try:
        return WorldSpec.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors()[:5]:
            message = error["msg"].removeprefix("Value error, ")
            location = _location(tuple(error["loc"]))
            problems.append(f"{location}: {message}" if location else message)
        more = f" (and {exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
        raise SpecError(f"{where}: " + "; ".join(problems) + more) from None


def load_spec(path: Path) -> WorldSpec:
    """Read ``spec.yaml``; :class:`SpecError` names the file and field of any problem."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(
            f"{path} is missing; run `agentscaler worlds build` to infer the world's spec"
        ) from None
    return parse_spec(text, str(path))
