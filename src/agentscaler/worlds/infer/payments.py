"""Purchases paid from a balance the buyer holds.

"Allow a player to purchase a virtual item using virtual currency": the player holds a balance
of virtual currency, the item has a price, and the purchase costs the price times the quantity
bought. The schema gets the columns the sentence implies (``player.virtual_currency``,
``item.price``) when no tool names them; the rule finder
:func:`agentscaler.worlds.infer.rules.payments.payment_rules` requires the balance to cover the
cost and :func:`payment_effects` takes the cost off it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agentscaler.naming import singular
from agentscaler.worlds.infer.drafts import Entities
from agentscaler.worlds.interface import ParamInfo

_PAYS = re.compile(
    r"\b(?:purchase|purchases|buy|buys)\s+(?P<thing>[a-z ]+?)\s+(?:using|with)\s+"
    r"(?P<currency>(?:[a-z]+ )?(?:currency|coins|points|credits|gems))\b"
)
PRICE_COLUMNS = ("price", "unit_price", "cost")
"""Columns holding what one unit of a thing costs, in order of preference."""
QUANTITY_PARAMS = ("quantity", "qty", "count", "amount", "units")


@dataclass(frozen=True)
class Payment:
    payer: str
    """Entity of the buyer, who holds the balance."""
    thing: str
    """Entity of what is bought, which has a price."""
    balance: str
    """The payer's column holding the currency (``virtual_currency``)."""
    sentence: str
    """The sentence saying so (lower case, as :func:`sentences` gives it)."""


def find_payment(sentence: str, params: list[ParamInfo]) -> Payment | None:
    """The purchase a sentence states, when the buyer and the thing bought are both records
    the call names (the buyer before the verb, the thing after it)."""
    match = _PAYS.search(sentence)
    if match is None:
        return None
    before = {singular(w) for w in re.findall(r"[a-z]+", sentence[: match.start()])}
    bought = {singular(w) for w in re.findall(r"[a-z]+", match.group("thing"))}
    entities = [p.entity for p in params if p.entity and not p.id_list]
    payer = next((e for e in entities if e.split("_")[-1] in before), None)
    thing = next((e for e in entities if e != payer and e.split("_")[-1] in bought), None)
    if payer is None or thing is None:
        return None
    balance = re.sub(r"[^a-z]+", "_", match.group("currency")).strip("_")
    return Payment(payer, thing, balance, sentence)


def description_payment(description: str, params: list[ParamInfo]) -> Payment | None:
    """The purchase one sentence of a description states, if any."""
    for part in re.split(r"(?<=[.;!?])\s+", description or ""):
        payment = find_payment(re.sub(r"\s+", " ", part.lower()).strip(), params)
        if payment is not None:
            return payment
    return None


def add_payment_columns(plans: list, entities: Entities) -> set[str]:
    """Give the buyers of purchases paid from a balance that balance, and the things bought a
    price, when the tools name neither; returns the entities of both (they need tables)."""
    needed: set[str] = set()
    for plan in plans:
        if plan.decision.operation != "create":
            continue
        payment = description_payment(plan.shape.spec.description, plan.shape.params)
        if payment is None:
            continue
        if payment.payer not in entities.drafts or payment.thing not in entities.drafts:
            continue
        payer = entities.drafts[payment.payer]
        if payment.balance not in payer.columns:
            currency = payment.balance.replace("_", " ")
            payer.column(payment.balance).add(
                {"type": "number", "minimum": 0},
                f"Balance of {currency} the {payment.payer.replace('_', ' ')} holds.",
            )
        needed |= {payment.payer, payment.thing}
        thing = entities.drafts[payment.thing]
        if not any(c in thing.columns for c in PRICE_COLUMNS):
            thing.column("price").add(
                {"type": "number", "minimum": 0},
                f"Price of one {payment.thing.replace('_', ' ')}.",
            )
    return needed
