"""A purchase paid from a balance: the buyer's balance must cover the price times the quantity
("Allow a player to purchase a virtual item using virtual currency" -> ``player.virtual_currency
>= item.price * $quantity``), and the purchase takes it off (:func:`payment_effects`)."""

from __future__ import annotations

from agentscaler.worlds.infer.payments import (
    PRICE_COLUMNS,
    QUANTITY_PARAMS,
    Payment,
    find_payment,
)
from agentscaler.worlds.infer.rules.context import RuleContext
from agentscaler.worlds.infer.rules.status import _source
from agentscaler.worlds.infer.rules.text import sentences
from agentscaler.worlds.spec.expr import param_ref
from agentscaler.worlds.spec.model import SpecEffect, SpecRule


def _payment(ctx: RuleContext) -> tuple[Payment, str, str, str] | None:
    """The payment a create states: ``(payment, payer row, cost, source)``."""
    if ctx.operation != "create":
        return None
    params = list(ctx.params.values())
    for sentence in sentences(ctx.description):
        payment = find_payment(sentence, params)
        if payment is None:
            continue
        payer_rows, thing_rows = ctx.rows_of(payment.payer), ctx.rows_of(payment.thing)
        payer_table, thing_table = ctx.tables.get(payment.payer), ctx.tables.get(payment.thing)
        if not payer_rows or not thing_rows or payer_table is None or thing_table is None:
            continue
        if payment.balance not in {c.name for c in payer_table.columns}:
            continue
        price = next((c for c in PRICE_COLUMNS if c in {x.name for x in thing_table.columns}), None)
        if price is None:
            continue
        cost = f"{thing_rows[0]}.{price}"
        quantity = next(
            (
                n
                for n, p in ctx.params.items()
                if p.name in QUANTITY_PARAMS and p.json_type in ("integer", "number")
            ),
            None,
        )
        if quantity is not None:
            amount = param_ref(quantity)
            if not ctx.params[quantity].required:
                amount = f"coalesce({amount}, 1)"
            cost = f"{cost} * {amount}"
        return payment, payer_rows[0], cost, _source(ctx.description, sentence)
    return None


def payment_rules(ctx: RuleContext) -> list[SpecRule]:
    """The buyer's balance covers the cost of what the call buys."""
    found = _payment(ctx)
    if found is None:
        return []
    payment, payer, cost, source = found
    key = ctx.tables[payment.payer].primary_key
    currency = payment.balance.replace("_", " ")
    return [
        SpecRule(
            name=f"enough_{payment.balance}"[:60],
            kind="sufficient",
            check=f"{payer}.{payment.balance} >= {cost}",
            error=f"{payment.payer.replace('_', ' ')} {{{payer}.{key}}} has "
            f"{{{payer}.{payment.balance}}} {currency}; the purchase costs {{{cost}}}",
            source=source,
        )
    ]


def payment_effects(ctx: RuleContext) -> list[SpecEffect]:
    """The cost taken off the buyer's balance."""
    found = _payment(ctx)
    if found is None:
        return []
    payment, payer, cost, source = found
    return [SpecEffect(decrement=payer, values={payment.balance: f"={cost}"}, source=source)]
