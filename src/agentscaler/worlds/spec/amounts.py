"""Which amounts of a world follow from their parts: an order's subtotal from its items'
quantity times their unit price, its total from the subtotal, the discount and the fees.

The parts are found by name in the spec: a child entity of the row (``order_item`` of
``order``) with a quantity, and a price either on the child (``unit_price``) or on the entity the
child refers to (``product.price``, ``dish.price``). Seeding makes seeded rows add up; inference
makes the tools that create such a row compute them.
"""

from __future__ import annotations

from dataclasses import dataclass

from agentscaler.worlds.spec.model import WorldSpec

_SUBTOTALS = ("subtotal", "order_subtotal", "items_subtotal", "items_total")
_TOTALS = ("total", "total_price", "total_amount", "grand_total", "amount_due")
_DISCOUNTS = ("discount_amount", "discount")
_FEES = (
    "delivery_fee",
    "shipping_cost",
    "shipping_fee",
    "service_fee",
    "tax",
    "tax_amount",
    "tip_amount",
    "tip",
)
_QUANTITIES = ("quantity", "qty", "units")
_PRICES = ("unit_price", "price", "unit_cost")


@dataclass(frozen=True)
class Parts:
    """How one table's amounts follow from its child rows."""

    table: str
    key: str
    child_table: str
    parent_column: str
    quantity: str
    price: str
    """The price column: on the child, or on the referenced table."""
    priced_table: str | None
    """The table holding the price (None: the child itself)."""
    priced_by: str | None
    """The child's column referring to ``priced_table``."""
    priced_key: str | None
    """The key column of ``priced_table``."""
    subtotal: str | None
    total: str | None
    discount: str | None
    fees: tuple[str, ...]


def amount_parts(spec: WorldSpec) -> list[Parts]:
    """Every table of the spec whose amounts follow from its child rows."""
    found = []
    for name, entity in spec.entities.items():
        columns = set(entity.columns)
        subtotal = next((c for c in _SUBTOTALS if c in columns), None)
        total = next((c for c in _TOTALS if c in columns), None)
        if subtotal is None and total is None:
            continue
        for child_name in spec.children_of(name).values():
            child = spec.entities[child_name]
            parent_column = next(
                (c for c, col in child.columns.items() if col.references == name), None
            )
            quantity = next((c for c in _QUANTITIES if c in child.columns), None)
            if parent_column is None or quantity is None:
                continue
            price = next((c for c in _PRICES if c in child.columns), None)
            priced_table = priced_by = priced_key = None
            if price is None:
                for column_name, column in child.columns.items():
                    target = spec.entities.get(column.references or "")
                    if target is None or column.references == name:
                        continue
                    price = next((c for c in _PRICES if c in target.columns), None)
                    if price is not None:
                        priced_table, priced_by = target.table, column_name
                        priced_key = target.key
                        break
            if price is None:
                continue
            found.append(
                Parts(
                    table=entity.table,
                    key=entity.key,
                    child_table=child.table,
                    parent_column=parent_column,
                    quantity=quantity,
                    price=price,
                    priced_table=priced_table,
                    priced_by=priced_by,
                    priced_key=priced_key,
                    subtotal=subtotal,
                    total=total,
                    discount=next((c for c in _DISCOUNTS if c in columns), None),
                    fees=tuple(c for c in _FEES if c in columns),
                )
            )
            break
    return found
