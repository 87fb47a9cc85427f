"""Creates that compute the amounts of the row they make: placing an order with items sets the
subtotal to the sum of each item's quantity times its unit price (looked up per item), takes the
fees the order carries from the rows the call names (the merchant's delivery fee), and sets the
total to the subtotal less the discount plus those fees. The formulas are spec values, so they
show in ``spec.yaml`` and in the generated code."""

from __future__ import annotations

import re

from agentscaler.worlds.spec.amounts import amount_parts
from agentscaler.worlds.spec.model import SpecRule, SpecTool, WorldSpec


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
    return spec.model_copy(update={"tools": tools})


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
