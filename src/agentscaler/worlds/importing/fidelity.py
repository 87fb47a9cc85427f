"""Fidelity of an imported world against an executable reference of the same service.

The same recorded calls run in the world and on the reference (anything with ``call(name,
arguments) -> (ok, output)`` and ``state() -> dict``, e.g. an instance of the service's own
class); each call and the final state are compared by this mapping:

* a call *agrees* when both sides fail, or both succeed and every field the reference returns
  that the world's output also has holds the same value (a read must share at least one field;
  an output that is one object under a key the reference does not return is compared by that
  object's fields: the docs wrap a record the reference returns bare; numbers are the same when
  they agree to six significant digits, as a constant written to six digits gives them:
  ``3.78541`` litres a gallon against ``3.785411784``);
* a call is a *write* when it changes the reference's state (any of its attributes), else a
  *read*, whatever the world's tool is;
* a write has *the same effect* when it changes the same top-level values of the state, to the
  same values, on both sides (states compared in the data's shape);
* the final states are *equal* when every top-level value of the data (the imported keys) is
  the same on both sides (canonical JSON, integral floats as integers);
* the *schema recovered* is the share of the reference state's fields (paths of object keys,
  list items merged) that the world's state has: in its initial state, or as a field or
  collection of the data's shape that holds nothing yet (one the tools' docs name).

A miss is put down to one cause: ``rule not stated`` (the reference refused what no
description forbids, or the other way round), ``computation hidden`` (the world has no formula,
lookup or table operation for the tool: the reference computes from state the descriptions do
not show), or ``inference error`` (the world has one but it does something else).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

from agentscaler.worlds.importing.replay import Call, replay, state_document
from agentscaler.worlds.importing.shape import (
    CollectionShape,
    DataShape,
    canonical_data,
    read_shape,
)
from agentscaler.worlds.runtime.loader import CompiledWorld

CAUSES = ("rule not stated", "computation hidden", "inference error")
NUMBER_DIGITS = 6


class Reference(Protocol):
    def call(self, name: str, arguments: dict[str, Any]) -> tuple[bool, Any]: ...

    def state(self) -> dict[str, Any]: ...


@dataclass
class CallOutcome:
    name: str
    access: str
    agrees: bool
    cause: str | None = None
    ours: Any = None
    theirs: Any = None


@dataclass
class FidelityResult:
    """The comparison of one recorded sequence of calls."""

    calls: list[CallOutcome] = field(default_factory=list)
    final_equal: bool = False
    fields_total: int = 0
    fields_found: int = 0
    fields_missing: list[str] = field(default_factory=list)
    final_diff: list[str] = field(default_factory=list)

    @property
    def reads(self) -> list[CallOutcome]:
        return [c for c in self.calls if c.access == "read"]

    @property
    def writes(self) -> list[CallOutcome]:
        return [c for c in self.calls if c.access == "write"]

    def causes(self) -> Counter[str]:
        return Counter(c.cause for c in self.calls if not c.agrees and c.cause)


def field_paths(value: Any, prefix: str = "") -> set[str]:
    """Paths of the object keys in a JSON value (``tweets.*.content``; list items merged)."""
    paths: set[str] = set()
    if isinstance(value, dict):
        keyed = len(value) > 0 and all(isinstance(v, dict) for v in value.values())
        for key, sub in value.items():
            part = "*" if keyed and prefix else key
            path = f"{prefix}.{part}" if prefix else part
            paths.add(path)
            paths |= field_paths(sub, path)
    elif isinstance(value, list):
        for item in value:
            paths |= field_paths(item, f"{prefix}[]")
    return paths


def shape_paths(shape: DataShape) -> set[str]:
    """Paths (as :func:`field_paths` writes them) of the fields the world keeps in the data's
    shape, holding a value yet or not (a field or collection the tools' docs name)."""
    paths: set[str] = set()

    def fields(collection: CollectionShape, prefix: str) -> None:
        for f in collection.fields:
            path = f"{prefix}.{f.field}" if prefix else f.field
            paths.add(path)
            for part in f.parts:
                paths.add(f"{path}.{part.field}")
            if f.child is not None:
                fields(f.child, f"{path}[]")

    for collection in shape.collections:
        if collection.style == "tree":
            continue
        paths.add(collection.name)
        inner = {"dict": f"{collection.name}.*", "wrapped": f"{collection.name}[].*"}.get(
            collection.style, f"{collection.name}[]"
        )
        if collection.style in ("dict", "wrapped"):
            paths.add(inner)
        fields(collection, inner)
    if shape.state is not None:
        fields(shape.state, "")
    return paths


def same_value(ours: Any, theirs: Any) -> bool:
    """JSON values equal, numbers to six significant digits (:data:`NUMBER_DIGITS`)."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        return ours.keys() == theirs.keys() and all(same_value(ours[k], theirs[k]) for k in ours)
    if isinstance(ours, (list, tuple)) and isinstance(theirs, (list, tuple)):
        return len(ours) == len(theirs) and all(map(same_value, ours, theirs))
    numbers = (int, float)
    if (
        isinstance(ours, numbers)
        and isinstance(theirs, numbers)
        and not isinstance(ours, bool)
        and not isinstance(theirs, bool)
    ):
        return math.isclose(ours, theirs, rel_tol=10.0**-NUMBER_DIGITS, abs_tol=1e-12)
    return canonical_data(ours) == canonical_data(theirs)


def _same_output(ours: Any, theirs: Any, access: str) -> bool:
    if (
        isinstance(ours, dict)
        and isinstance(theirs, dict)
        and len(ours) == 1
        and isinstance(next(iter(ours.values())), dict)
        and next(iter(ours)) not in theirs
    ):
        ours = next(iter(ours.values()))  # the docs wrap the record, the reference does not
    if not isinstance(theirs, dict) or not isinstance(ours, dict):
        return same_value(ours, theirs)
    shared = [k for k in theirs if k in ours]
    if access == "read" and not shared:
        return False
    return all(same_value(ours[k], theirs[k]) for k in shared)


def _has_means(world: CompiledWorld, name: str, data_tables: set[str]) -> bool:
    """Whether the world has something to make the tool's result from: a formula, a lookup or
    a table operation, in the spec or in code the import wrote over the data (a tree's tools);
    else a miss is a computation the descriptions hide. A read of a table no data holds (the
    zip codes of cities, the costs of flights: a table the tool's docs made up, empty), or a
    formula over such rows (the rates of currencies), has nothing to read: the reference's table
    is in its code."""
    binding = world.world.binding(name)
    if binding is None:
        return False
    if binding.kind == "read" and binding.table is not None and binding.table not in data_tables:
        return False
    spec = world.load_spec()
    tool = spec.tools.get(name) if spec is not None else None
    if tool is not None:
        looked_up = {
            spec.entities[f.entity].table for f in tool.find.values() if f.entity in spec.entities
        }
        if tool.compute and looked_up - data_tables:
            return False  # a formula over rows no data holds (the rates of currencies)
        if tool.compute or tool.find or tool.effects:
            return True
        if tool.fallback and binding.fallback:
            return False
    return not binding.fallback and binding.table is not None


def _changes(before: dict[str, Any], after: dict[str, Any], keys: list[str]) -> dict[str, str]:
    return {
        k: canonical_data(after.get(k))
        for k in keys
        if canonical_data(before.get(k)) != canonical_data(after.get(k))
    }


def compare(
    world: CompiledWorld, calls: list[Call], reference: Reference, *, data_keys: list[str]
) -> FidelityResult:
    """Run ``calls`` in ``world`` (from its initial state) and on ``reference``; compare."""
    from agentscaler.worlds.runtime.env import WorldEnv

    result = FidelityResult()
    data_tables = set(read_shape(world.path).tables())
    start = reference.state()
    paths = field_paths(start)
    result.fields_total = len(paths)
    found = field_paths(state_document(world)) | shape_paths(read_shape(world.path))
    result.fields_found = len(paths & found)
    result.fields_missing = sorted(paths - found)
    env = WorldEnv(world)
    env.reset(options={"state": world.initial_state()})
    ours_before = state_document(world, env.state_bytes())
    theirs_before = start
    for call in calls:
        binding = world.world.binding(call.name)
        ok_theirs, out_theirs = reference.call(call.name, call.arguments)
        step = env.step({"name": call.name, "arguments": call.arguments})
        ok_ours = step.ok
        out_ours = step.observation
        theirs_after = reference.state()
        changed = canonical_data(theirs_after) != canonical_data(theirs_before)
        access = "write" if changed else "read"
        if access == "write" or (binding is not None and binding.kind == "write"):
            ours_after = state_document(world, env.state_bytes())
            if access == "write":
                agrees = ok_ours == ok_theirs and _changes(
                    ours_before, ours_after, data_keys
                ) == _changes(theirs_before, theirs_after, data_keys)
            ours_before = ours_after
        if access == "read":
            agrees = ok_ours == ok_theirs and (
                not ok_ours or _same_output(out_ours, out_theirs, access)
            )
        theirs_before = theirs_after
        cause = None
        if not agrees:
            if not _has_means(world, call.name, data_tables):
                cause = "computation hidden"
            elif ok_ours != ok_theirs:
                cause = "rule not stated" if ok_ours else "inference error"
            else:
                cause = "inference error"
        result.calls.append(
            CallOutcome(
                call.name, access, agrees, cause, out_ours, out_theirs if not agrees else None
            )
        )
    final_ours = state_document(world, env.state_bytes())
    final_theirs = reference.state()
    result.final_diff = [
        k
        for k in data_keys
        if canonical_data(final_ours.get(k)) != canonical_data(final_theirs.get(k))
    ]
    result.final_equal = not result.final_diff
    return result


__all__ = ["CAUSES", "Call", "CallOutcome", "FidelityResult", "Reference", "compare", "replay"]
