"""Scoring inferred world specs against the hand-labelled semantics of write tools.

For one labelled tool and the spec entry the compiler inferred for it (with the semantic check's
proof of each rule), :func:`score_tool` says:

- whether the spec acts on the labelled entity (or a labelled synonym, or an entity named with it
  as its last word: ``flight_booking`` for ``booking``) with the labelled kind of effect
  (a transition is also an update that sets a status column);
- which of the spec's inserts go into a table the label does not say the tool writes;
- which labelled rules the spec holds (a status rule with the same allowed statuses on the same
  entity, or, for a labelled rule on rows that depend on the acted-on row, ``not exists`` of
  exactly the forbidden states among them; another kind on the labelled entity/column, or drawn from the labelled sentence), and
  which of those the semantic check proved enforced (violated on purpose: the call failed naming
  the rule and changed nothing);
- which labelled side effects on other tables the spec makes.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

from agentscaler.worlds.codegen.world import status_values
from agentscaler.worlds.spec.expr import expression_text, is_expression, parse
from agentscaler.worlds.spec.model import SpecRule, SpecTool, WorldSpec

_RULE_KINDS_ACCEPTED = {
    "status": {"status"},
    "sufficient": {"sufficient"},
    "ownership": {"ownership"},
    "unique": {"unique"},
    "limit": {"limit", "compare"},
    "date": {"date", "compare"},
    "exists": {"exists", "other", "compare"},
    "other": {"other", "compare", "exists", "status", "limit", "unique"},
}


_UNIQUENESS = re.compile(r"\b(once|free|unique|already)\b", re.IGNORECASE)


def entity_matches(name: str | None, labelled: tuple[str, ...] | list[str]) -> bool:
    """Whether an inferred entity name is the labelled one (or a synonym, or ends with it)."""
    if not name:
        return False
    for wanted in labelled:
        if name == wanted or name.endswith("_" + wanted) or wanted.endswith("_" + name):
            return True
    return False


def entity_labels(spec: WorldSpec, entity: str) -> list[str]:
    """The label names of an entity: itself, and ``parent.field`` for a child entity."""
    names = [entity]
    spec_entity = spec.entities.get(entity)
    if spec_entity is not None and spec_entity.parent is not None:
        names.append(f"{spec_entity.parent.entity}.{spec_entity.parent.field}")
    return names


def _writes_match(spec: WorldSpec, entity: str, writes: tuple[str, ...]) -> bool:
    for name in entity_labels(spec, entity):
        if "." in name:
            if name in writes:
                return True
            parent, _, field_name = name.partition(".")
            if any(
                "." in w
                and w.split(".")[1] == field_name
                and entity_matches(parent, [w.split(".")[0]])
                for w in writes
            ):
                return True
        elif entity_matches(name, [w for w in writes if "." not in w]):
            return True
    return False


def spec_effect_kind(tool: SpecTool, spec: WorldSpec) -> str:
    """The effect kind of a spec entry in the labels' terms."""
    if tool.kind in ("create", "delete", "transition"):
        return tool.kind
    if tool.kind == "update":
        entity = spec.entities.get(tool.entity or "")
        status_columns = {
            n for n, c in (entity.columns.items() if entity else ()) if c.kind == "status"
        }
        for effect in tool.effects:
            if (
                effect.op == "update"
                and effect.each is None
                and set(effect.values) & status_columns
            ):
                return "transition"
        return "update"
    return tool.kind


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _same_sentence(rule: SpecRule, text: str) -> bool:
    source, wanted = _norm(rule.source), _norm(text)
    return bool(source) and bool(wanted) and (wanted in source or source in wanted)


def _columns_read(rule: SpecRule, tool: SpecTool) -> set[tuple[str | None, str]]:
    """``(entity, column)`` pairs a rule's check and condition read (entity None: argument)."""
    read: set[tuple[str | None, str]] = set()
    for text in (rule.check, rule.when or ""):
        if not text:
            continue
        try:
            tree = parse(text, "rule")
        except Exception:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                read.add((tool.row_entity(node.value.id), node.attr))
            elif isinstance(node, ast.Name) and node.id.startswith("arg"):
                read.add((None, node.id.split("__", 1)[-1]))
            elif isinstance(node, ast.keyword) and node.arg:
                read.add((None, node.arg))
    return read


def _status_allowed(
    spec: WorldSpec,
    tool: SpecTool,
    rule: SpecRule,
    label_entity: tuple[str, ...],
    status_to: str | None,
) -> tuple[set[str], set[str] | None] | None:
    found = status_values(rule)
    if found is None:
        return None
    row, column, values, allowed = found
    entity = tool.row_entity(row)
    if not entity_matches(entity, label_entity):
        return None
    spec_entity = spec.entities.get(entity or "")
    enum = (
        {str(v) for v in (spec_entity.columns[column].values or ())}
        if spec_entity and column in spec_entity.columns
        else set()
    )
    got = set(values) if allowed else (enum - set(values) if enum else None)
    if got is None:
        return None
    return got - {status_to or ""}, enum


def _dependents_forbidden(
    spec: WorldSpec, rule: SpecRule, label_entity: tuple[str, ...]
) -> tuple[set[str], set[str]] | None:
    """For ``not exists("e", ref=..., col='v') and ...`` (no dependent row of ``e`` in any of
    the states ``v``), the states of ``e`` left allowed and ``e``'s states, when ``e`` is the
    labelled entity."""
    tree = parse(rule.check, f"rule {rule.name}").body
    parts = tree.values if isinstance(tree, ast.BoolOp) and isinstance(tree.op, ast.And) else [tree]
    entity = column = None
    forbidden: set[str] = set()
    for part in parts:
        if not (
            isinstance(part, ast.UnaryOp)
            and isinstance(part.op, ast.Not)
            and isinstance(part.operand, ast.Call)
            and isinstance(part.operand.func, ast.Name)
            and part.operand.func.id == "exists"
            and part.operand.args
            and isinstance(part.operand.args[0], ast.Constant)
        ):
            return None
        call = part.operand
        states = [
            k
            for k in call.keywords
            if isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)
        ]
        if (
            len(states) != 1
            or entity not in (None, call.args[0].value)
            or column not in (None, states[0].arg)
        ):
            return None
        entity, column = call.args[0].value, states[0].arg
        forbidden.add(states[0].value.value)
    spec_entity = spec.entities.get(entity or "")
    if (
        spec_entity is None
        or column not in spec_entity.columns
        or not entity_matches(entity, label_entity)
    ):
        return None
    enum = {str(v) for v in spec_entity.columns[column].values or ()}
    return enum - forbidden, enum


def rule_matches(
    label_rule: Any, rule: SpecRule, tool: SpecTool, spec: WorldSpec, label: Any
) -> bool:
    """Whether a spec rule holds a labelled rule."""
    entity = (label_rule.entity,) if label_rule.entity else tuple(label.entity)
    if label_rule.kind == "status":
        if rule.when and not label_rule.when:
            return False
        found = _status_allowed(spec, tool, rule, entity, label.status_to)
        if found is None and (dependents := _dependents_forbidden(spec, rule, entity)):
            got, enum = dependents
            wanted = (
                set(label_rule.allowed) if label_rule.allowed else enum - set(label_rule.forbidden)
            )
            return got == wanted
        if found is None:
            return False
        got, enum = found
        if label_rule.allowed:
            wanted = set(label_rule.allowed)
        else:
            wanted = (enum or set()) - set(label_rule.forbidden)
        return got == wanted - {label.status_to or ""}
    if rule.kind not in _RULE_KINDS_ACCEPTED[label_rule.kind]:
        return False
    if label_rule.kind == "other" and rule.kind == "unique":
        # "A ride can be rated once" is a uniqueness the label files under other; "The IBAN
        # must be valid" is not, though a uniqueness rule may come from the same sentence
        return bool(_UNIQUENESS.search(label_rule.text)) and _same_sentence(rule, label_rule.text)
    read = _columns_read(rule, tool)
    column = label_rule.column or (label_rule.field if label_rule.kind == "limit" else None)
    if label_rule.kind == "ownership":
        owner = label_rule.owner
        return any(c.startswith(owner) for _, c in read) or entity_matches(
            owner, [e for e, _ in read if e]
        )
    if label_rule.kind == "unique":
        if label_rule.on:  # the labelled columns, not another pair from the same sentence
            return all(any(c == f for _, c in read) for f in label_rule.on)
        return _same_sentence(rule, label_rule.text)
    if column and any(c == column and (e is None or entity_matches(e, entity)) for e, c in read):
        return True
    if label_rule.kind == "date" and label_rule.fields:
        names = {f.split(".")[-1] for f in label_rule.fields}
        if names & {c for _, c in read}:
            return True
    return _same_sentence(rule, label_rule.text)


def effect_matches(label_effect: Any, tool: SpecTool, spec: WorldSpec) -> bool:
    """Whether the spec makes a labelled side effect."""
    for effect in tool.effects:
        if effect.insert is not None:
            target = effect.insert
            if label_effect.kind == "insert" and entity_matches(target, [label_effect.entity]):
                return True
            continue
        target = tool.row_entity(effect.target)
        if not entity_matches(target, [label_effect.entity]):
            continue
        if label_effect.kind == "delete":
            if effect.op == "delete":
                return True
            continue
        if label_effect.column is not None and label_effect.column not in effect.values:
            continue
        if label_effect.kind in ("increment", "decrement"):
            if effect.op == label_effect.kind:
                return True
            value = effect.values.get(label_effect.column or "")
            sign = "+" if label_effect.kind == "increment" else "-"
            if is_expression(value) and sign in expression_text(str(value)):
                return True
            continue
        if effect.op in ("update", "increment", "decrement"):
            return True
    return False


@dataclass
class ToolScore:
    key: str
    entity_ok: bool
    kind_ok: bool
    spec_entity: str | None
    spec_kind: str
    label_kind: str
    wrong_inserts: list[str] = field(default_factory=list)
    rules: list[tuple[str, str, str]] = field(default_factory=list)
    """``(kind, text, outcome)``: outcome enforced / held-unproven / missing."""
    effects: list[tuple[str, str, bool]] = field(default_factory=list)
    writes_ok: bool = True
    multi_table: bool = False
    unwritten: list[str] = field(default_factory=list)
    """Labelled tables the spec's effects do not write."""


def score_tool(
    key: str, label: Any, tool: SpecTool | None, spec: WorldSpec, proofs: dict[str, str]
) -> ToolScore:
    """Score one tool's spec entry (None when the tool is missing) against its label."""
    if tool is None:
        return ToolScore(key, False, False, None, "missing", label.effect)
    kind = spec_effect_kind(tool, spec)
    kind_ok = label.effect == kind or (
        label.effect == "action" and kind in ("create", "update", "transition")
    )
    score = ToolScore(
        key,
        entity_matches(tool.entity, label.entity),
        kind_ok,
        tool.entity,
        kind,
        label.effect,
        multi_table=len(label.writes) > 1,
    )
    for effect in tool.effects:
        if effect.insert is not None and not _writes_match(spec, effect.insert, label.writes):
            score.wrong_inserts.append(effect.insert)
    for label_rule in label.rules:
        held = [r for r in tool.requires if rule_matches(label_rule, r, tool, spec, label)]
        if not held:
            outcome = "missing"
        elif any(proofs.get(r.name) == "proven" for r in held):
            outcome = "enforced"
        else:
            outcome = "unproven"
        score.rules.append((label_rule.kind, label_rule.text, outcome))
    for label_effect in label.effects:
        score.effects.append(
            (
                label_effect.kind,
                f"{label_effect.entity}.{label_effect.column or ''}",
                effect_matches(label_effect, tool, spec),
            )
        )
    written = set()
    for effect in tool.effects:
        # an entity whose rows are added, removed or changed, or a row the tool binds
        entity = effect.target if effect.on_entity else tool.row_entity(effect.target)
        if entity:
            written.add(entity)
    score.unwritten = [
        w for w in label.writes if not any(_writes_match(spec, e, (w,)) for e in written)
    ]
    score.writes_ok = not score.unwritten
    return score
