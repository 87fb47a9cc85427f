"""Amounts that follow from their parts, in the spec: creates that compute the amounts of the row
they make, later writes that compute them again, and the invariant that they add up.

* Placing an order with items sets the subtotal to the sum of each item's quantity times its unit
  price (looked up per item), takes the fees the order carries from the rows the call names (the
  merchant's delivery fee), and sets the total to the subtotal less the discount plus those fees.
* A later write that changes a part (a fee or tip, the discount, the subtotal, or the items)
  ends with an update of the row that sets its subtotal (when items changed) and its total again
  by the same formula.
* The row's entity declares ``subtotal == sum(items)`` and ``total == subtotal - discount + fees``
  as invariants, checked after seeding and after every write.

The formulas are spec values, so they show in ``spec.yaml`` and in the generated code."""

from __future__ import annotations

import re

from agentscaler.worlds.infer.rules.context import row_name
from agentscaler.worlds.spec.amounts import Parts, amount_parts
from agentscaler.worlds.spec.model import SpecEffect, SpecRule, SpecTool, WorldSpec

_CENT = 0.01
"""How far a stored amount may be from its formula (rounding to the cent)."""


def amount_effects(spec: WorldSpec, descriptions: dict[str, str] | None = None) -> WorldSpec:
    """The spec with each order-making create computing its subtotal, fees and total (and
    holding it to a minimum order its description states: ``descriptions`` by tool name)."""
    descriptions = descriptions or {}
    by_table = {e.table: name for name, e in spec.entities.items()}
    tools = dict(spec.tools)
    for part in amount_parts(spec):
        entity = by_table[part.table]
        child = by_table[part.child_table]
        for name, tool in spec.tools.items():
            if tool.kind != "create" or tool.entity != entity:
                continue
            insert = next((e for e in tool.effects if e.insert == entity), None)
            items = next((e for e in tool.effects if e.insert == child and e.each), None)
            if insert is None or items is None or items.each is None:
                continue
            variable, _, source = items.each.partition(" in ")
            variable = variable.strip()
            quantity = items.values.get(part.quantity)
            if not (isinstance(quantity, str) and quantity.startswith("=")):
                continue
            if part.priced_table is None:
                price_value = items.values.get(part.price)
                if not (isinstance(price_value, str) and price_value.startswith("=")):
                    continue
                price = price_value[1:]
            else:
                ref = items.values.get(part.priced_by or "")
                if not (isinstance(ref, str) and ref.startswith("=")):
                    continue
                priced = by_table[part.priced_table]
                price = f'total("{priced}", "{part.price}", {part.priced_key}={ref[1:]})'
            subtotal = f"round(sum({quantity[1:]} * {price} for {variable} in {source.strip()}), 2)"
            values = dict(insert.values)
            fees = []
            for fee in part.fees:
                if fee in values:
                    fees.append(f"coalesce({_operand(values[fee])}, 0)")
                    continue
                row = next(
                    (
                        r
                        for r, lookup in tool.find.items()
                        if lookup.each is None
                        and lookup.entity in spec.entities
                        and fee in spec.entities[lookup.entity].columns
                    ),
                    None,
                )
                if row is not None:
                    values[fee] = f"={row}.{fee}"
                    fees.append(f"coalesce({row}.{fee}, 0)")
            discount = (
                f" - coalesce({_operand(values[part.discount])}, 0)"
                if part.discount and part.discount in values
                else ""
            )
            if part.subtotal is not None and part.subtotal not in values:
                values[part.subtotal] = f"={subtotal}"
            if part.discount and part.discount not in values:
                values[part.discount] = 0
            if part.total is not None and part.total not in values:
                added = "".join(f" + {f}" for f in fees)
                values[part.total] = f"=round({subtotal}{discount}{added}, 2)"
            effects = [
                e.model_copy(update={"values": values}) if e is insert else e for e in tool.effects
            ]
            requires = list(tool.requires) + _minimum_rules(
                spec, tool, subtotal, descriptions.get(name, "")
            )
            tools[name] = tool.model_copy(
                update={"effects": tuple(effects), "requires": tuple(requires)}
            )
    spec = spec.model_copy(update={"tools": tools})
    return _declare_invariants(_recompute_effects(spec))


def _names(spec: WorldSpec, part: Parts) -> tuple[str, str, str | None]:
    """The entity names of a part's row, its child rows and the priced rows."""
    by_table = {e.table: name for name, e in spec.entities.items()}
    priced = by_table[part.priced_table] if part.priced_table else None
    return by_table[part.table], by_table[part.child_table], priced


def items_sum(spec: WorldSpec, part: Parts, row: str) -> str:
    """The expression of the sum of a row's items, quantity times unit price, to the cent."""
    entity, child, priced = _names(spec, part)
    key = spec.entities[entity].key
    if priced is None:
        price = f"line.{part.price}"
    else:
        price = f'total("{priced}", "{part.price}", {part.priced_key}=line.{part.priced_by})'
    lines = f'rows("{child}", {part.parent_column}={row}.{key})'
    return f"round(sum(line.{part.quantity} * {price} for line in {lines}), 2)"


def total_formula(part: Parts, row: str, subtotal: str) -> str:
    """The expression of a row's total from its subtotal, discount and fees."""
    discount = f" - coalesce({row}.{part.discount}, 0)" if part.discount else ""
    fees = "".join(f" + coalesce({row}.{fee}, 0)" for fee in part.fees)
    return f"round({subtotal}{discount}{fees}, 2)"


def _recompute_effects(spec: WorldSpec) -> WorldSpec:
    """Each write that changes a part of a row's amounts (a fee, the discount, the subtotal or
    the row's items) ends by setting the row's subtotal and total from their formula."""
    tools = dict(spec.tools)
    for part in amount_parts(spec):
        entity, child, _ = _names(spec, part)
        parent_parts = {*part.fees, part.discount, part.subtotal} - {None}
        for name, tool in tools.items():
            if tool.kind == "create" and tool.entity == entity:
                continue  # the create computes them (above)
            row = next(
                (r for r, f in tool.find.items() if f.entity == entity and f.each is None), None
            )
            if row is None:
                continue
            items_changed = any(
                e.target == child
                if e.op in ("insert", "clear")
                else tool.row_entity(e.target) == child
                for e in tool.effects
            )
            parts_changed = any(
                e.op != "delete" and e.target == row and set(e.values) & parent_parts
                for e in tool.effects
            )
            if any(e.op == "delete" and e.target == row for e in tool.effects):
                continue
            if not (items_changed or parts_changed):
                continue
            values: dict[str, str] = {}
            subtotal = f"coalesce({row}.{part.subtotal}, 0)" if part.subtotal else None
            if items_changed or subtotal is None:
                subtotal = items_sum(spec, part, row)
                if part.subtotal is not None:
                    values[part.subtotal] = f"={subtotal}"
            if part.total is not None:
                values[part.total] = f"={total_formula(part, row, subtotal)}"
            if not values:
                continue
            recompute = SpecEffect(
                update=row, values=values, source="the amounts follow from their parts"
            )
            tools[name] = tool.model_copy(update={"effects": (*tool.effects, recompute)})
    return spec.model_copy(update={"tools": tools})


def _declare_invariants(spec: WorldSpec) -> WorldSpec:
    """The entity of each row with amounts declares that they add up."""
    entities = dict(spec.entities)
    for part in amount_parts(spec):
        entity, _, _ = _names(spec, part)
        row = row_name(entity)
        found = []
        subtotal = items_sum(spec, part, row)
        if part.subtotal is not None:
            column = f"{row}.{part.subtotal}"
            found.append(f"{column} is None or abs({column} - {subtotal}) <= {_CENT}")
            subtotal = f"coalesce({column}, 0)"
        if part.total is not None:
            column = f"{row}.{part.total}"
            formula = total_formula(part, row, subtotal)
            found.append(f"{column} is None or abs({column} - {formula}) <= {_CENT}")
        current = entities[entity]
        added = tuple(t for t in found if t not in current.invariants)
        entities[entity] = current.model_copy(update={"invariants": (*current.invariants, *added)})
    return spec.model_copy(update={"entities": entities})


_MINIMUM = re.compile(r"\b(minimum|min) order\b", re.IGNORECASE)


def _minimum_rules(
    spec: WorldSpec, tool: SpecTool, subtotal: str, description: str
) -> list[SpecRule]:
    """The computed subtotal against the minimum order of the row the call orders from ("the
    subtotal must reach its minimum order")."""
    sentence = next(
        (s for s in re.split(r"(?<=[.;,])\s+", description) if _MINIMUM.search(s)),
        None,
    )
    if sentence is None:
        return []
    for row, lookup in tool.find.items():
        entity = spec.entities.get(lookup.entity)
        if lookup.each is not None or entity is None:
            continue
        column = next((c for c in entity.columns if c in ("minimum_order", "min_order")), None)
        if column is None:
            continue
        return [
            SpecRule(
                name=f"{row}_{column}_reached"[:60],
                kind="other",
                check=f"{subtotal} >= coalesce({row}.{column}, 0)",
                error=f"the order comes to less than the minimum order of {{{row}.{column}}}",
                source=sentence.strip(),
            )
        ]
    return []


def _operand(value: object) -> str:
    """A spec value as an expression operand."""
    if isinstance(value, str):
        return value[1:] if value.startswith("=") else value
    return repr(value)
