"""Quantity rules stated in text: a stock, seat count, balance or capacity must cover what the
call asks for, and numeric bounds the schema does not already enforce.

* ``Every product must be in stock in the requested quantity`` -> per item,
  ``product.stock_quantity >= item.quantity``;
* ``The flight must ... have seats left`` -> ``flight.seats_available >= 1``;
* ``Paying with miles requires enough miles`` -> when ``$payment_method == 'miles'``,
  ``passenger.miles_balance >= <miles for the fare>``;
* ``The room must sleep the number of guests`` -> ``room.max_guests >= $guests``;
* ``fines owed must not exceed 10.00`` -> ``patron.fines_owed <= 10.0``.

A consumable quantity (stock, seats or places left, a balance) covered for a create is also
consumed by it: :func:`consumption_effects` turns those rules into decrements.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

from agentscaler.naming import singular
from agentscaler.records.world import Column
from agentscaler.worlds.infer.rules.context import RuleContext
from agentscaler.worlds.infer.rules.status import _source
from agentscaler.worlds.infer.rules.text import number_value, sentences, tokens
from agentscaler.worlds.spec.expr import param_ref
from agentscaler.worlds.spec.model import SpecEffect, SpecRule

_LEVEL_WORDS = frozenset(
    "available left remaining balance stock quantity count number free current".split()
)
_CONSUMABLE = re.compile(r"(available|left|remaining|balance|stock|copies|spots)")
_NOT_CONSUMABLE = re.compile(r"(due|owed|limit|max|capacity|quota|credit_amount|rate)")
_CAPACITY = re.compile(r"(capacity|^max_|_max$|limit|max_stay|max_guests|seated)")
_COVER_CUES = frozenset(
    """enough sufficient left available remaining exceed exceeds cover covers stock within
    sleep sleeps hold holds fit fits more""".split()
)
_SYNONYMS = {
    "spots": ("places", "place", "spot", "spots"),
    "seats": ("seat", "seats", "tickets"),
    "stock": ("stock", "in stock", "units"),
    "copies": ("copy", "copies", "available"),
    "miles": ("miles", "mile"),
    "balance": ("balance", "funds", "money", "amount"),
    "guests": ("guests", "people", "sleep", "sleeps"),
    "refills": ("refills", "refill"),
    "days": ("days", "balance"),
    "capacity": ("capacity", "seats"),
    "stay": ("stay", "duration", "longest"),
    "coverage": ("coverage", "limit"),
}
_AMOUNT_PARAMS = re.compile(
    r"^(quantity|qty|count|number_of_\w+|\w+_count|seats|tickets|ticket_count|party_size|guests|"
    r"num_\w+|nights|days|amount|units|copies|duration_hours|hours|duration_minutes|minutes)$"
)
MILES_PER_CURRENCY_UNIT = 100
"""Miles a fare costs per unit of its price when the world has no miles price of its own."""


@dataclass(frozen=True)
class _Level:
    row: str
    column: Column
    nouns: tuple[str, ...]
    consumable: bool


def _levels(ctx: RuleContext) -> list[_Level]:
    """Numeric columns of bound rows that hold a level (stock, seats left, balance, capacity)."""
    found = []
    for row, entity in ctx.rows(each=True).items():
        if row == ctx.created:
            continue
        table = ctx.tables.get(entity)
        if table is None:
            continue
        for column in table.columns:
            if column.type not in ("INTEGER", "REAL") or column.primary_key or column.references:
                continue
            words = column.name.split("_")
            resource = [w for w in words if w not in _LEVEL_WORDS] or words
            nouns: set[str] = set()
            for word in resource + [w for w in words if w in ("stock", "balance")]:
                nouns.add(word)
                nouns.add(singular(word))
                nouns.update(_SYNONYMS.get(word, ()))
            consumable = bool(_CONSUMABLE.search(column.name)) and not _NOT_CONSUMABLE.search(
                column.name
            )
            capacity = bool(_CAPACITY.search(column.name))
            if consumable or capacity:
                found.append(_Level(row, column, tuple(sorted(nouns)), consumable))
    return found


def _mentions(words: list[str], nouns: tuple[str, ...]) -> bool:
    text = " " + " ".join(words) + " "
    return any(f" {noun} " in text for noun in nouns)


def _each_for(ctx: RuleContext, row: str) -> str | None:
    lookup = ctx.find.get(row)
    return lookup.each if lookup is not None else None


def _amount(ctx: RuleContext, level: _Level, words: list[str]) -> tuple[str, str]:
    """The amount a call takes of a level, and how it was chosen."""
    each = _each_for(ctx, level.row)
    if each is not None:
        variable, _, source = each.partition(" in ")
        name = source.strip().lstrip("$").strip("{}")
        param = ctx.params.get(name)
        items = param.schema.get("items") if param is not None else None
        props = items.get("properties") if isinstance(items, dict) else None
        if isinstance(props, dict):
            for prop in props:
                if _AMOUNT_PARAMS.match(prop):
                    return f"{variable.strip()}.{prop}", f"each item's {prop}"
    if "miles" in level.column.name:
        for row, entity in ctx.rows().items():
            table = ctx.tables.get(entity)
            if table is None:
                continue
            miles = next(
                (
                    c
                    for c in table.columns
                    if "miles" in c.name and c.name != level.column.name and row != level.row
                ),
                None,
            )
            if miles is not None:
                return f"{row}.{miles.name}", f"the {miles.name}"
            price = next(
                (c for c in table.columns if c.name in ("price", "fare", "total_price")), None
            )
            if price is not None and row != level.row:
                return (
                    f"round({row}.{price.name} * {MILES_PER_CURRENCY_UNIT})",
                    f"convention: {MILES_PER_CURRENCY_UNIT} miles per unit of the {price.name}",
                )
    resource = set(level.nouns)
    candidates = []
    for name, param in ctx.params.items():
        if param.json_type not in ("integer", "number"):
            continue
        words_of = set(name.split("_"))
        if _AMOUNT_PARAMS.match(name) or words_of & resource:
            candidates.append(name)
    if candidates:
        exact = [c for c in candidates if set(c.split("_")) & resource]
        chosen = (exact or candidates)[0]
        if not ctx.params[chosen].required:
            return f"coalesce({param_ref(chosen)}, 1)", f"the {chosen} asked for (1 if not given)"
        return param_ref(chosen), f"the {chosen} asked for"
    dates = [n for n in ctx.params if n.endswith(("start_date", "end_date"))]
    if "days" in level.column.name and len(dates) == 2:
        start = next(n for n in dates if n.endswith("start_date"))
        end = next(n for n in dates if n.endswith("end_date"))
        return (
            f"days_between({param_ref(start)}, {param_ref(end)}) + 1",
            "the days from the first to the last day",
        )
    return "1", "one per call"


def _when(ctx: RuleContext, words: list[str]) -> str | None:
    """A condition the sentence puts on an argument's value (``paying with miles``)."""
    text = " " + " ".join(words) + " "
    found = []
    for name, param in ctx.params.items():
        for value in param.schema.get("enum") or ():
            if isinstance(value, str) and f" {value.replace('_', ' ').lower()} " in text:
                found.append((name, value))
    if len(found) == 1:
        name, value = found[0]
        return f"{param_ref(name)} == {value!r}"
    return None


_UNITS = {"minutes": 1, "hours": 60, "days": 1440}


def _in_units_of(level: str, amount: str) -> str:
    """An amount asked in other units than the level holds (``$duration_minutes`` against
    ``max_stay_hours``) converted: ``$duration_minutes / 60``."""
    have = next((u for u in _UNITS if level.endswith(u)), None)
    asked = next((u for u in _UNITS if re.search(rf"{u}\b", amount)), None)
    if have is None or asked is None or have == asked:
        return amount
    factor = _UNITS[asked] / _UNITS[have]
    return f"{amount} * {factor:g}" if factor >= 1 else f"{amount} / {1 / factor:g}"


def _spoken_name(column: Column) -> str:
    return column.name.replace("_", " ")


def _most_specific(named: list[_Level], words: list[str]) -> list[_Level]:
    """Of the levels of one row a sentence matches, those it names in full ("the available
    balance" over the balance and the overdraft limit), when it names any in full."""
    text = " " + " ".join(words) + " "
    out: list[_Level] = []
    for row in dict.fromkeys(lv.row for lv in named):
        mine = [lv for lv in named if lv.row == row]
        full = [
            lv for lv in mine if "_" in lv.column.name and f" {_spoken_name(lv.column)} " in text
        ]
        out.extend(full or mine)
    return out


def _plus(level: _Level, levels: list[_Level], words: list[str]) -> str:
    """`` + row.other`` when the sentence adds another column of the row to the level ("the
    available balance plus overdraft")."""
    if "plus" not in words:
        return ""
    after = words[words.index("plus") + 1 : words.index("plus") + 4]
    for other in levels:
        if other.row != level.row or other.column.name == level.column.name:
            continue
        first = other.column.name.split("_")[0]
        if first in after:
            return f" + {other.row}.{other.column.name}"
    return ""


_TAKEN = re.compile(r"(^|_)(sold|booked|enrolled|registered|taken|reserved|occupied|issued)$")
"""A counter of what is already taken of a row's capacity (``tickets_sold``)."""


def _less_taken(level: _Level, ctx: RuleContext) -> str:
    """`` - row.taken`` when the level is a capacity its row counts the taken part of (an
    event's ``capacity`` less its ``tickets_sold``: "never more than the seats left")."""
    if level.consumable:
        return ""
    table = ctx.tables.get(ctx.row_entity(level.row) or "")
    counters = [
        c.name
        for c in (table.columns if table else ())
        if c.type == "INTEGER" and c.name != level.column.name and _TAKEN.search(c.name)
    ]
    if len(counters) != 1:
        return ""
    return f" - coalesce({level.row}.{counters[0]}, 0)"


def quantity_rules(ctx: RuleContext) -> list[SpecRule]:
    """Rules that a level (stock, seats, balance, capacity) covers what the call asks for."""
    if ctx.operation not in ("create", "update", "transition"):
        return []
    levels = _levels(ctx)
    rules: list[SpecRule] = []
    done: set[tuple[str, str]] = set()
    for _param, text in ctx.texts():
        for sentence in sentences(text):
            words = tokens(sentence)
            cue = set(words) & _COVER_CUES or "in stock" in sentence or "must have" in sentence
            if not cue:
                continue
            named = [
                lv
                for lv in levels
                if (lv.row, lv.column.name) not in done and _mentions(words, lv.nouns)
            ]
            for level in _most_specific(named, words):
                extra = _plus(level, levels, words) + _less_taken(level, ctx)
                amount, how = _amount(ctx, level, words)
                amount = _in_units_of(level.column.name, amount)
                when = _when(ctx, words)
                row = level.row
                key = ctx.tables[ctx.row_entity(row) or ""].primary_key
                label = row.replace("_", " ")
                what = level.column.name.replace("_", " ")
                rules.append(
                    SpecRule(
                        name=f"enough_{level.column.name}"[:60],
                        kind="sufficient",
                        check=f"{row}.{level.column.name}{extra} >= {amount}",
                        each=_each_for(ctx, row),
                        when=when,
                        error=(
                            f"{label} {{{row}.{key}}} has {what} {{{row}.{level.column.name}}}; "
                            f"the request needs {{{amount}}}"
                        ),
                        source=_source(text, sentence) + (f" ({how})" if how else ""),
                    )
                )
                done.add((row, level.column.name))
    return rules


def consumption_effects(ctx: RuleContext, rules: list[SpecRule]) -> list[SpecEffect]:
    """Decrements of the consumable levels a create's rules cover (stock, seats, miles ...);
    for a write that moves its row to another one (a booking to another flight), the new row's
    level goes down and the old row's goes back up (:func:`_moved`)."""
    if ctx.operation in ("update", "transition"):
        return _moved(ctx, rules)
    if ctx.operation != "create":
        return []
    effects = []
    consumable = {(level.row, level.column.name) for level in _levels(ctx) if level.consumable}
    for rule in rules:
        if rule.kind != "sufficient":
            continue
        row, column, amount = _required_level(rule)
        if (row, column) not in consumable:
            continue
        values = {column: f"={amount}"}
        booked = column.removeprefix("available_")
        if booked != column and (row, booked) in consumable:
            values[booked] = f"={amount}"  # a debit lowers the balance and what is available
        effects.append(
            SpecEffect(
                decrement=row, values=values, each=rule.each, when=rule.when, source=rule.source
            )
        )
    return effects


def _required_level(rule: SpecRule) -> tuple[str, str, str]:
    """``(row, column, amount)`` of a sufficient rule's ``row.column >= amount`` check (the
    level's first term: ``available_balance + account.overdraft_limit``)."""
    row, _, rest = rule.check.partition(".")
    column, _, amount = rest.partition(" >= ")
    return row, column.split(" + ")[0], amount


def _moved(ctx: RuleContext, rules: list[SpecRule]) -> list[SpecEffect]:
    """A write that points its row at another row holding a consumable level the rules require
    (``change_booking(flight_id)`` with "seats left"): one unit moves from the new row to the
    old one."""
    main = ctx.tables.get(ctx.entity or "")
    if ctx.main is None or main is None:
        return []
    consumable = {(level.row, level.column.name) for level in _levels(ctx) if level.consumable}
    effects = []
    for rule in rules:
        row, column, amount = _required_level(rule)
        if rule.kind != "sufficient" or (row, column) not in consumable or rule.each:
            continue
        lookup = ctx.find.get(row)
        target = ctx.tables.get(lookup.entity) if lookup is not None else None
        if lookup is None or target is None or len(lookup.by) != 1:
            continue
        ((key, value),) = lookup.by.items()
        param = str(value).removeprefix("$")
        link = next((c for c in main.columns if c.references == target.name), None)
        if key != target.primary_key or link is None or param not in ctx.written:
            continue
        if param != link.name:
            continue
        old = ctx.bind(lookup.entity, {target.primary_key: f"={ctx.main}.{link.name}"})
        source = f"{rule.source} (the {link.name.replace('_', ' ')} moves: one from the new row, "
        source += "one back to the old)"
        effects.append(SpecEffect(decrement=row, values={column: f"={amount}"}, source=source))
        effects.append(SpecEffect(increment=old, values={column: f"={amount}"}, source=source))
    return effects


_RANGING = re.compile(
    r"\b(?:ranging|ranges|range|ranged|goes|going|runs|running)?\s*(?:from|between)\s+"
    r"(-?\d+(?:\.\d+)?)\b[^.;]*?\s(?:to|and|through)\s+(-?\d+(?:\.\d+)?)\b"
)
_SIGNED = re.compile(r"\b(non[- ]?negative|positive)\b")


def _stated_bounds(ctx: RuleContext, param: str, text: str) -> list[tuple[str, float, str]]:
    """``(op, number, sentence)`` bounds a numeric argument's own description states ("ranging
    from 0 (no compression) to 9", "a non-negative integer") that its schema does not."""
    info = ctx.params.get(param)
    if info is None:
        return []
    return _bounds_in(info.json_type, info.schema, text)


def _bounds_in(json_type: str | None, schema: object, text: str) -> list[tuple[str, float, str]]:
    if json_type not in ("integer", "number"):
        return []
    schema = schema if isinstance(schema, dict) else {}
    found = []
    for sentence in sentences(text):
        ranged = _RANGING.search(sentence)
        if ranged is not None:
            low, high = float(ranged.group(1)), float(ranged.group(2))
            if low < high:
                found += [(">=", low, sentence), ("<=", high, sentence)]
        signed = _SIGNED.search(sentence)
        if signed is not None:
            strict = signed.group(1) == "positive"
            low = 0.0 if not strict or json_type == "number" else 1.0
            found.append((">" if strict and low == 0 else ">=", low, sentence))
    kept = []
    for op, number, sentence in found:
        key = "maximum" if op == "<=" else "minimum"
        if key in schema or ("exclusiveMinimum" in schema and op != "<="):
            continue  # the schema already says so
        kept.append((op, number, sentence))
    return kept


def _nested_bounds(ctx: RuleContext) -> list[tuple[str, str, str, float, str, str]]:
    """``(expr, label, op, number, sentence, text)`` bounds stated by the description of a
    property of an object argument (``configurations.timeout``: "Must be a positive
    integer.")."""
    found = []
    for name, info in ctx.params.items():
        props = info.schema.get("properties") if info.json_type == "object" else None
        if not isinstance(props, dict):
            continue
        for prop, sub in props.items():
            text = sub.get("description") if isinstance(sub, dict) else None
            if not isinstance(text, str) or not prop.isidentifier() or keyword.iskeyword(prop):
                continue
            for op, number, sentence in _bounds_in(sub.get("type"), sub, text):
                found.append(
                    (f"{param_ref(name)}.{prop}", f"{name}.{prop}", op, number, sentence, text)
                )
    return found


def bound_rules(ctx: RuleContext) -> list[SpecRule]:
    """Numeric bounds stated in text that the schema does not enforce (``fines owed must not
    exceed 10.00``, ``at least 15 minutes late``, an argument "ranging from 0 to 9")."""
    rules = []
    for param, text in ctx.texts():
        for op, number, sentence in _stated_bounds(ctx, param, text) if param else ():
            expr = param_ref(param)
            literal = int(number) if float(number).is_integer() else number
            word = {"<=": "at most", ">=": "at least", ">": "more than"}[op]
            rules.append(
                SpecRule(
                    when=None if ctx.params[param].required else f"{expr} is not None",
                    name=re.sub(r"[^a-z0-9_]", "_", f"{word.replace(' ', '_')}_{param}".lower())[
                        :60
                    ],
                    kind="limit",
                    check=f"{expr} {op} {literal}",
                    error=f"{param} is {{{expr}}}; it must be {word} {literal}",
                    source=_source(text, sentence),
                )
            )
    for expr, label, op, number, sentence, text in _nested_bounds(ctx):
        literal = int(number) if float(number).is_integer() else number
        word = {"<=": "at most", ">=": "at least", ">": "more than"}[op]
        rules.append(
            SpecRule(
                when=f"{expr} is not None",
                name=re.sub(r"[^a-z0-9_]", "_", f"{word}_{label}".replace(" ", "_").lower())[:60],
                kind="limit",
                check=f"{expr} {op} {literal}",
                error=f"{label} is {{{expr}}}; it must be {word} {literal}",
                source=_source(text, sentence),
            )
        )
    for _param, text in ctx.texts():
        for sentence in sentences(text):
            words = tokens(sentence)
            for index, word in enumerate(words):
                number = number_value(word)
                if number is None:
                    continue
                before = " ".join(words[max(0, index - 4) : index])
                op = None
                if re.search(
                    r"(not exceed|at most|up to|no more than|maximum of|cannot exceed|must not exceed)$",
                    before,
                ):
                    op = "<="
                elif re.search(r"(at least|minimum of|no less than)$", before):
                    op = ">="
                if op is None:
                    continue
                target = _subject(ctx, words[:index], number) or _by_unit(ctx, words, index)
                if target is None:
                    continue
                expr, schema = target
                bound = schema.get("maximum" if op == "<=" else "minimum") if schema else None
                if bound is not None and float(bound) == number:
                    continue  # the schema already says so
                literal = int(number) if float(number).is_integer() and "." not in word else number
                optional = (
                    expr.startswith("$") and not ctx.params[expr.lstrip("$").strip("{}")].required
                )
                rules.append(
                    SpecRule(
                        when=f"{expr} is not None" if optional else None,
                        name=f"{'at_most' if op == '<=' else 'at_least'}_{expr.split('.')[-1].strip('$')}"[
                            :60
                        ],
                        kind="limit",
                        check=f"{expr} {op} {literal}",
                        error=f"{expr.replace('$', '')} is {{{expr}}}; it must be {'at most' if op == '<=' else 'at least'} {literal}",
                        source=_source(text, sentence),
                    )
                )
    return rules


_LOW_HIGH = (("min", "max"), ("minimum", "maximum"), ("lowest", "highest"), ("from", "to"))


def range_rules(ctx: RuleContext) -> list[SpecRule]:
    """The low end of a range the call gives is not above its high end: ``salary_min <=
    salary_max`` ("The salary band's minimum cannot exceed its maximum"); for an update, what
    the call leaves out keeps the row's value."""
    if ctx.operation == "search":
        return []
    table = ctx.tables.get(ctx.entity or "")
    columns = {c.name for c in table.columns} if table is not None else set()
    numeric = {n for n, p in ctx.params.items() if p.json_type in ("integer", "number")}
    rules = []
    for low_word, high_word in _LOW_HIGH:
        for low in sorted(numeric):
            parts = low.split("_")
            if low_word not in parts:
                continue
            high = "_".join(high_word if w == low_word else w for w in parts)
            if high not in numeric:
                continue
            operands = []
            for name in (low, high):
                ref = param_ref(name)
                if not ctx.params[name].required and ctx.main and name in columns:
                    operands.append(f"coalesce({ref}, {ctx.main}.{name})")
                else:
                    operands.append(ref)
            guards = [
                f"{param_ref(n)} is not None"
                for n, o in zip((low, high), operands, strict=True)
                if o.startswith("$") and not ctx.params[n].required
            ]
            said = next(
                (
                    _source(text, sentence)
                    for _param, text in ctx.texts()
                    for sentence in sentences(text)
                    if high_word in sentence or "exceed" in sentence
                ),
                "convention: a range's low end is not above its high end",
            )
            rules.append(
                SpecRule(
                    name=f"{low}_not_above_{high}"[:60],
                    kind="other",
                    check=f"{operands[0]} <= {operands[1]}",
                    when=" and ".join(guards) or None,
                    error=f"{low.replace('_', ' ')} {{{operands[0]}}} is above "
                    f"{high.replace('_', ' ')} {{{operands[1]}}}",
                    source=said,
                )
            )
    return rules


def _by_unit(ctx: RuleContext, words: list[str], index: int) -> tuple[str, dict] | None:
    """The one numeric argument named with the unit after the number ("arrived at least 15
    minutes late" -> ``$delay_minutes``)."""
    if index + 1 >= len(words):
        return None
    unit = words[index + 1]
    found = [
        (param_ref(name), param.schema)
        for name, param in ctx.params.items()
        if param.json_type in ("integer", "number") and unit in name.split("_")
    ]
    return found[0] if len(found) == 1 else None


def _subject(ctx: RuleContext, words: list[str], number: float) -> tuple[str, dict] | None:
    """The column or argument a bound talks about: the last one named before the number."""
    text = " ".join(words)
    best: tuple[int, str, dict] | None = None
    for row, entity in ctx.rows().items():
        table = ctx.tables.get(entity)
        if table is None or row == ctx.created:
            continue
        for column in table.columns:
            if column.type not in ("INTEGER", "REAL"):
                continue
            phrase = column.name.replace("_", " ")
            at = text.rfind(phrase)
            if at < 0:
                stem = " ".join(w for w in phrase.split() if w not in ("count", "number"))
                at = text.rfind(stem) if stem else -1
            if at >= 0 and (best is None or at > best[0]):
                best = (at, f"{row}.{column.name}", column.value_schema or {})
    for name, param in ctx.params.items():
        if param.json_type not in ("integer", "number"):
            continue
        at = text.rfind(name.replace("_", " "))
        if at >= 0 and (best is None or at > best[0]):
            best = (at, param_ref(name), param.schema)
    if best is None:
        return None
    return best[1], best[2]
