"""Amounts that follow from their parts in seeded rows (see :mod:`agentscaler.worlds.spec.amounts`):
every order gets an item, items agree with their order, and the subtotal, discount and total are
set from them."""

from __future__ import annotations

import random
from typing import Any

from agentscaler.worlds.spec.amounts import Parts, amount_parts

__all__ = ["Parts", "amount_parts", "amounts_add_up", "attach_items", "derive_amounts"]

_DISCOUNT_SHARES = (0.0, 0.0, 0.0, 0.05, 0.1, 0.15)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def item_sums(part: Parts, rows: dict[str, list[dict[str, Any]]]) -> dict[Any, float]:
    """Parent key -> the sum of its child rows' quantity times unit price."""
    prices: dict[Any, float] = {}
    if part.priced_table is not None:
        for priced in rows.get(part.priced_table, []):
            price = _number(priced.get(part.price))
            if price is not None:
                prices[priced.get(part.priced_key or "")] = price
    sums: dict[Any, float] = {}
    for child in rows.get(part.child_table, []):
        quantity = _number(child.get(part.quantity))
        if part.priced_table is None:
            price = _number(child.get(part.price))
        else:
            price = prices.get(child.get(part.priced_by or ""))
        if quantity is None or price is None:
            continue
        parent = child.get(part.parent_column)
        sums[parent] = sums.get(parent, 0.0) + quantity * price
    return sums


def attach_items(
    parts: list[Parts],
    rows: dict[str, list[dict[str, Any]]],
    references: dict[str, dict[str, str]],
    rng: random.Random,
) -> None:
    """Give every parent row at least one child row when there are enough (an order has items),
    and make each child's priced row agree with its parent (a dish of the order's merchant).
    ``references``: table -> {column: referenced table}."""
    for part in parts:
        parents = rows.get(part.table, [])
        children = rows.get(part.child_table, [])
        order = [row[part.key] for row in parents]
        rng.shuffle(order)
        for child, parent in zip(children, order, strict=False):
            child[part.parent_column] = parent
        if part.priced_table is None:
            continue
        shared = [
            (own, theirs)
            for own, target in references.get(part.table, {}).items()
            for theirs, other in references.get(part.priced_table, {}).items()
            if target == other
        ]
        if not shared:
            continue
        by_parent = {row[part.key]: row for row in parents}
        priced = rows.get(part.priced_table, [])
        for child in children:
            parent = by_parent.get(child.get(part.parent_column))
            if parent is None:
                continue
            for own, theirs in shared:
                fitting = [r for r in priced if r.get(theirs) == parent.get(own)]
                if fitting:
                    child[part.priced_by or ""] = rng.choice(fitting)[part.priced_key or ""]
                    break


def derive_amounts(
    parts: list[Parts], rows: dict[str, list[dict[str, Any]]], rng: random.Random
) -> None:
    """Set each parent row's subtotal, discount and total from its child rows (in place); a
    parent without child rows has a subtotal of zero."""
    for part in parts:
        sums = item_sums(part, rows)
        for row in rows.get(part.table, []):
            subtotal = round(sums.get(row[part.key], 0.0), 2)
            discount = 0.0
            if part.discount is not None:
                discount = round(subtotal * rng.choice(_DISCOUNT_SHARES), 2)
                row[part.discount] = discount
            if part.subtotal is not None:
                row[part.subtotal] = subtotal
            if part.total is not None:
                fees = sum(_number(row.get(f)) or 0.0 for f in part.fees)
                row[part.total] = round(subtotal - discount + fees, 2)


def amounts_add_up(part: Parts, rows: dict[str, list[dict[str, Any]]]) -> tuple[int, int]:
    """``(rows whose amounts add up, rows checked)`` of one table: the subtotal is the sum of
    its items, the total the subtotal less the row's discount plus its fees (to the cent)."""
    sums = item_sums(part, rows)
    good = checked = 0
    for row in rows.get(part.table, []):
        checked += 1
        subtotal = round(sums.get(row[part.key], 0.0), 2)
        ok = part.subtotal is None or _close(row.get(part.subtotal), subtotal)
        if part.total is not None:
            discount = _number(row.get(part.discount or "")) or 0.0
            fees = sum(_number(row.get(f)) or 0.0 for f in part.fees)
            ok = ok and _close(row.get(part.total), subtotal - discount + fees)
        good += ok
    return good, checked


def _close(a: Any, b: Any) -> bool:
    x, y = _number(a), _number(b)
    return x is not None and y is not None and abs(x - y) <= 0.011
