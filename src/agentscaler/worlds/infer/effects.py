"""Effects on other tables: what a call changes beyond its own row.

Per tool (from its text and the rows it binds):

* transfers stated in text: ``vacation days are deducted from the balance`` -> decrement the
  employee's ``vacation_days_remaining`` by the request's days; ``approved vacation days are
  given back`` -> increment;
* counters of the row a create is made for: buying tickets of an event adds to its
  ``tickets_sold``;
* cascades stated in text: ``Delete an event and its reminders`` -> the event's reminders go too.

Across tools (:func:`release_effects`): what a create takes from a stock, a seat count or a
balance, cancelling the created row gives back (cancelling an order puts its items back in
stock; cancelling a booking frees its seat and refunds miles it was paid with).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from agentscaler.naming import singular
from agentscaler.worlds.infer.rules.context import RuleContext, row_name
from agentscaler.worlds.infer.rules.lifecycle import group_values
from agentscaler.worlds.infer.rules.status import _source
from agentscaler.worlds.infer.rules.text import sentences, tokens
from agentscaler.worlds.spec.expr import param_of, param_ref
from agentscaler.worlds.spec.model import SpecEffect, SpecLookup, SpecTool, WorldSpec

_TAKE = re.compile(r"\b(deduct(ed|s)?|subtract(ed|s)?|consumed?|used up|taken from|charged to)\b")
_GIVE = re.compile(
    r"\b(given back|gives? back|added back|credited|refunded|released|restored|returned to|"
    r"goes back|go back|back to)\b"
)
_ONE = re.compile(r"\b(one|a|an|1) \w+ (is|are|gets?) (deducted|subtracted|taken|used)\b")
_MOVES = re.compile(
    r"\b(goes|go|moves?|becomes?|turns?|is set to|is marked( as)?|is put)( to| into| in)?\b"
)
_COUNTER = re.compile(r"(sold|booked|count|enrolled|registered|used|issued|taken)$")
CANCELLED = frozenset(
    "cancelled canceled returned refunded withdrawn voided void rejected declined".split()
)
"""Statuses that undo what creating the row took."""


def _stated(ctx: RuleContext) -> Iterator[tuple[str, str]]:
    """``(text, sentence)`` for every sentence of the tool's description and parameters."""
    for _param, text in ctx.texts():
        for sentence in sentences(text):
            yield text, sentence


def transfer_effects(ctx: RuleContext) -> list[SpecEffect]:
    """Decrements and increments of a level the text says the call takes or gives back."""
    if ctx.operation not in ("transition", "update") or ctx.main is None:
        return []
    main_table = ctx.tables.get(ctx.entity or "")
    if main_table is None:
        return []
    effects = []
    for text, sentence in _stated(ctx):
        take, give = _TAKE.search(sentence), _GIVE.search(sentence)
        if not (take or give):
            continue
        words = tokens(sentence)
        for row, entity in reachable(ctx):
            table = ctx.tables[entity]
            for column in table.columns:
                if column.type not in ("INTEGER", "REAL") or not re.search(
                    r"(remaining|balance|available|left|stock|spots|copies)", column.name
                ):
                    continue
                resource = {w for w in column.name.split("_")} - {
                    "remaining",
                    "balance",
                    "available",
                    "left",
                    "quantity",
                }
                said = {singular(w) for w in words}
                if not {singular(r) for r in resource} & said | resource & set(words):
                    continue
                amount = _amount_from_row(ctx, main_table, resource)
                if (
                    amount is None
                    and _ONE.search(sentence)
                    and any(
                        re.search(rf"\b(one|a|an|1) {singular(r)}\b", sentence) for r in resource
                    )
                ):
                    amount = "1"  # "one refill is deducted from the prescription"
                if amount is None:
                    continue
                bound = bind_reachable(ctx, row, entity)
                if bound is None:
                    continue
                when = _row_condition(ctx, main_table, words)
                state = _state_named(ctx, main_table, words)
                if state is not None:  # "approved vacation days are given back"
                    when = f"{state} and ({when})" if when else state
                effects.append(
                    SpecEffect(
                        **{"decrement" if take else "increment": bound},
                        values={column.name: f"={amount}"},
                        when=when,
                        source=_source(text, sentence),
                    )
                )
    return effects


def _state_named(ctx: RuleContext, table, words: list[str]) -> str | None:
    """The acted-on row's state a sentence names as what it applies to (``approved vacation
    days are given back``: only a request that was approved gave days), other than the state
    the call moves the row to; None when it names none or several."""
    status = next((c for c in table.columns if c.semantic == "status" and c.enum), None)
    if status is None or ctx.main is None:
        return None
    text = " " + " ".join(words) + " "
    named = [
        v
        for v in status.enum or ()
        if isinstance(v, str) and v != ctx.to_status and f" {v.replace('_', ' ')} " in text
    ]
    if len(named) != 1:
        return None
    return f"{ctx.main}.{status.name} == {named[0]!r}"


def reads_state(effect: SpecEffect, ctx: RuleContext) -> bool:
    """Whether an effect's condition reads the acted-on row's state (so it runs before the call
    changes that state)."""
    table = ctx.tables.get(ctx.entity or "")
    status = next((c for c in table.columns if c.semantic == "status"), None) if table else None
    return bool(effect.when and status is not None and f"{ctx.main}.{status.name} " in effect.when)


def taken_once(spec: WorldSpec) -> WorldSpec:
    """A level one of the entity's transitions takes, its create does not take too: a leave
    request's days come off the balance when it is approved ("vacation days are deducted"),
    not already when it is submitted (its rule that the balance covers it stays)."""
    taken_later = set()
    for tool in spec.tools.values():
        if tool.kind not in ("transition", "update"):
            continue
        changed = {
            (e.op, tool.find[e.target].entity, column)
            for e in tool.effects
            if e.op in ("decrement", "increment") and e.target in tool.find
            for column in e.values
        }
        for op, entity, column in changed:
            if op == "decrement" and ("increment", entity, column) not in changed:
                taken_later.add((tool.entity, entity, column))  # not a move between two rows
    tools = dict(spec.tools)
    for name, tool in spec.tools.items():
        if tool.kind != "create":
            continue
        kept = tuple(
            e
            for e in tool.effects
            if not (
                e.op == "decrement"
                and e.target in tool.find
                and any(
                    (tool.entity, tool.find[e.target].entity, column) in taken_later
                    for column in e.values
                )
            )
        )
        if kept != tool.effects:
            tools[name] = tool.model_copy(update={"effects": kept})
    return spec.model_copy(update={"tools": tools})


def status_moves(ctx: RuleContext) -> list[SpecEffect]:
    """The status another row takes when the text says so (accepting an offer: "the listing
    goes under offer")."""
    if ctx.operation not in ("transition", "update") or ctx.main is None:
        return []
    effects = []
    seen: set[str] = set()
    for text, sentence in _stated(ctx):
        moved = _MOVES.search(sentence)
        if moved is None:
            continue
        before, after = sentence[: moved.start()], " " + sentence[moved.end() :] + " "
        for row, entity in reachable(ctx):
            if entity == ctx.entity or row in seen:
                continue
            noun = entity.replace("_", " ")
            # the row is what moves: "the listing goes ...", "its event is set to ..."
            if not re.search(rf"\b(the|its|their) {re.escape(noun)}\s*$", before.rstrip()):
                continue
            table = ctx.tables[entity]
            status = next((c for c in table.columns if c.semantic == "status" and c.enum), None)
            if status is None:
                continue
            named = [
                v
                for v in status.enum or ()
                if isinstance(v, str) and re.match(rf"\s*{re.escape(v.replace('_', ' '))}\b", after)
            ]
            if len(named) != 1:
                continue
            bound = bind_reachable(ctx, row, entity)
            if bound is None:
                continue
            seen.add(row)
            effects.append(
                SpecEffect(
                    update=bound,
                    values={status.name: named[0]},
                    source=_source(text, sentence),
                )
            )
    return effects


def created_for(ctx: RuleContext) -> list[SpecEffect]:
    """A create that completes the row it is made for takes that row to the status named after
    it: issuing the refund of a return makes the return ``refunded``, invoicing an order makes
    it ``invoiced``."""
    if ctx.operation != "create" or ctx.entity is None or ctx.created is None:
        return []
    noun = ctx.entity.split("_")[-1]
    done = {noun + "d", noun + "ed"} if noun.endswith("e") else {noun + "ed"}
    effects = []
    for row, lookup in ctx.find.items():
        table = ctx.tables.get(lookup.entity)
        if table is None or lookup.entity == ctx.entity or lookup.each is not None:
            continue
        status = next((c for c in table.columns if c.semantic == "status" and c.enum), None)
        named = [v for v in (status.enum if status else ()) or () if v in done]
        if status is None or len(named) != 1:
            continue
        effects.append(
            SpecEffect(
                update=row,
                values={status.name: named[0]},
                source=f"a {noun} makes its {lookup.entity.replace('_', ' ')} {named[0]}",
            )
        )
    return effects


def dependents_moved(ctx: RuleContext) -> list[SpecEffect]:
    """Every live row that belongs to the acted-on one takes a status when the text says so
    (cancelling an event: "every ticket order is refunded"): the rows referring to it that are
    not in a final state yet."""
    if ctx.operation not in ("transition", "update", "delete") or ctx.main is None:
        return []
    table = ctx.tables.get(ctx.entity or "")
    if table is None:
        return []
    effects = []
    for text, sentence in _stated(ctx):
        for entity, other in ctx.tables.items():
            if entity == ctx.entity or other.parent == table.name:
                continue
            link = next((c for c in other.columns if c.references == table.name), None)
            status = next((c for c in other.columns if c.semantic == "status" and c.enum), None)
            if link is None or status is None:
                continue
            noun = re.escape(entity.replace("_", " "))
            said = re.search(
                rf"\b(every|each|all|all of its|all its|its|their) {noun}s? "
                rf"(is|are|gets?|will be)( set to| marked( as)?)? (\w+( \w+)?)",
                sentence,
            )
            if said is None:
                continue
            values = [str(v) for v in status.enum or () if isinstance(v, str)]
            named = [v for v in values if said.group(5).startswith(v.replace("_", " "))]
            live = group_values("open", values)
            if len(named) != 1 or not live or named[0] in live:
                continue
            effects.append(
                SpecEffect(
                    update_all=entity,
                    where={link.name: f"={ctx.main}.{table.primary_key}", status.name: live},
                    values={status.name: named[0]},
                    source=_source(text, sentence),
                )
            )
    return effects


_SWITCH = re.compile(r"\b(switch(?:es)?|turns?|sets?|puts?) (?:all |the |its )?(\w+?)s? (off|on)\b")


def switched(ctx: RuleContext) -> list[SpecEffect]:
    """A mode that switches some of the acted-on row's dependents off or on ("away mode switches
    lights off"): when the mode's argument is true, the dependents of that kind (a category
    value of theirs) take that state."""
    if ctx.operation not in ("update", "transition") or ctx.main is None:
        return []
    table = ctx.tables.get(ctx.entity or "")
    if table is None:
        return []
    flags = {
        p.replace("_", " "): p for p, info in ctx.params.items() if info.json_type == "boolean"
    }
    effects = []
    for text, sentence in _stated(ctx):
        for said in _SWITCH.finditer(sentence):
            mode = next(
                (p for words, p in flags.items() if words in sentence[: said.start()]), None
            )
            if mode is None:
                continue
            for entity, other in ctx.tables.items():
                link = next((c for c in other.columns if c.references == table.name), None)
                if entity == ctx.entity or link is None:
                    continue
                kind = next(
                    (c for c in other.columns if c.enum and singular(said.group(2)) in c.enum),
                    None,
                )
                state = next(
                    (c for c in other.columns if c.enum and set(c.enum) == {"on", "off"}), None
                )
                if kind is None or state is None:
                    continue
                effects.append(
                    SpecEffect(
                        update_all=entity,
                        where={
                            link.name: f"={ctx.main}.{table.primary_key}",
                            kind.name: singular(said.group(2)),
                        },
                        values={state.name: said.group(3)},
                        when=param_ref(mode),
                        source=_source(text, sentence),
                    )
                )
    return effects


_CREATES = re.compile(
    r"\b(\w+) \w+? (creates?|opens?|generates?|triggers?|adds?) (?:a|an) (\w+(?: \w+)?)\b"
)


def created_when(ctx: RuleContext) -> list[SpecEffect]:
    """A row the call creates when the acted-on row is in a state the text names ("overdue
    returns create a fine"): inserted before the call changes that state, linked to the row
    and to what the row refers to, its category the state's word when it has one."""
    if ctx.operation not in ("update", "transition") or ctx.main is None:
        return []
    table = ctx.tables.get(ctx.entity or "")
    status = (
        next((c for c in table.columns if c.semantic == "status" and c.enum), None)
        if table
        else None
    )
    if table is None or status is None:
        return []
    effects = []
    for text, sentence in _stated(ctx):
        for said in _CREATES.finditer(sentence):
            state, noun = said.group(1), said.group(3)
            entity = next(
                (e for e in (noun.replace(" ", "_"), noun.split(" ")[0]) if e in ctx.tables), None
            )
            if state not in (status.enum or ()) or entity is None or entity == ctx.entity:
                continue
            values: dict[str, str] = {}
            referred = {c.references: c.name for c in table.columns if c.references}
            for column in ctx.tables[entity].columns:
                if column.references == table.name:
                    values[column.name] = f"={ctx.main}.{table.primary_key}"
                elif column.references in referred:
                    values[column.name] = f"={ctx.main}.{referred[column.references]}"
                elif column.enum and state in column.enum and column.semantic != "status":
                    values[column.name] = state
            if not any(v.startswith(f"={ctx.main}.") for v in values.values()):
                continue
            effects.append(
                SpecEffect(
                    insert=entity,
                    values=values,
                    when=f"{ctx.main}.{status.name} == {state!r}",
                    source=_source(text, sentence),
                )
            )
    return effects


_RECOMPUTED = re.compile(r"\b(re-?computed|recalculated|updated|adjusted)\b")


def recomputed_effects(ctx: RuleContext) -> list[SpecEffect]:
    """An aggregate of another row the text says the call recomputes ("the product's average
    rating is recomputed" after a review goes): its mean or count over the acted-on entity's
    rows, by the aggregate functions of the spec's expressions."""
    if ctx.main is None or ctx.entity is None or ctx.operation == "create":
        return []
    own = ctx.tables.get(ctx.entity)
    if own is None:
        return []
    effects = []
    for text, sentence in _stated(ctx):
        if not _RECOMPUTED.search(sentence):
            continue
        flat = " ".join(tokens(sentence))
        for row, entity in reachable(ctx):
            table = ctx.tables[entity]
            link = next((c for c in own.columns if c.references == table.name), None)
            if entity == ctx.entity or link is None:
                continue
            for column in table.columns:
                value = _aggregate(column.name, own, ctx.entity, link.name, entity, table)
                if value is None or column.name.replace("_", " ") not in flat:
                    continue
                bound = bind_reachable(ctx, row, entity)
                if bound is None:
                    continue
                effects.append(
                    SpecEffect(
                        update=bound,
                        values={column.name: value},
                        source=_source(text, sentence),
                    )
                )
    return effects


def _aggregate(name: str, own, own_entity: str, link: str, entity: str, table) -> str | None:
    """The expression of an aggregate column (``average_rating``: the mean of the rows'
    ``rating``; ``review_count``: how many there are), or None."""
    key = f"{link}={entity}.{table.primary_key}"
    if name.startswith(("average_", "avg_", "mean_")):
        measured = name.split("_", 1)[1]
        if any(c.name == measured and c.type in ("INTEGER", "REAL") for c in own.columns):
            return f'=average("{own_entity}", "{measured}", {key})'
    counted = re.match(r"(\w+?)s?_count$", name) or re.match(r"(?:number|num)_of_(\w+?)s?$", name)
    if counted and singular(counted.group(1)) == singular(own_entity.split("_")[-1]):
        return f'=count("{own_entity}", {key})'
    return None


def bind_reachable(ctx: RuleContext, row: str, entity: str) -> str | None:
    """The row name an effect on a reachable row uses (one reference away: looked up now)."""
    return ctx.related(ctx.main, entity) if row.startswith("<") else row


def reachable(ctx: RuleContext) -> list[tuple[str, str]]:
    """Bound rows, and rows one reference from the acted-on row (``<main>entity``)."""
    rows = [(r, e) for r, e in ctx.rows().items() if r != ctx.main]
    table = ctx.tables.get(ctx.entity or "")
    if table is not None:
        for column in table.columns:
            target = next((e for e, t in ctx.tables.items() if t.name == column.references), None)
            if target is not None and target not in {e for _, e in rows}:
                rows.append((f"<{ctx.main}>{target}", target))
    return rows


def _amount_from_row(ctx: RuleContext, table, resource: set[str]) -> str | None:
    """The acted-on row's number the transfer moves (``days_requested`` for vacation days)."""
    for column in table.columns:
        if column.type in ("INTEGER", "REAL") and set(column.name.split("_")) & (
            resource | {singular(w) for w in resource}
        ):
            return f"{ctx.main}.{column.name}"
    return None


def _row_condition(ctx: RuleContext, table, words: list[str]) -> str | None:
    """A value of one of the acted-on row's enum columns the sentence names (``vacation``)."""
    text = " " + " ".join(words) + " "
    found = []
    for column in table.columns:
        if column.primary_key or column.semantic == "status":
            continue
        for value in column.enum or ():
            if isinstance(value, str) and f" {value.replace('_', ' ')} " in text:
                found.append(f"{ctx.main}.{column.name} == {value!r}")
    return found[0] if len(found) == 1 else None


def counter_effects(ctx: RuleContext) -> list[SpecEffect]:
    """A create adds to the counter of the row it is made for (``event.tickets_sold``)."""
    if ctx.operation != "create" or ctx.entity is None:
        return []
    words = set(ctx.entity.split("_")) | {singular(w) for w in ctx.entity.split("_")}
    effects = []
    for row, entity in ctx.rows().items():
        table = ctx.tables.get(entity)
        if table is None or row == ctx.created:
            continue
        for column in table.columns:
            if column.type != "INTEGER" or not _COUNTER.search(column.name):
                continue
            parts = {singular(w) for w in column.name.split("_")}
            if not parts & words:
                continue
            amount = next(
                (
                    f"={param_ref(p)}"
                    for p, info in ctx.params.items()
                    if info.json_type == "integer"
                    and re.search(r"(quantity|count|number|tickets|seats)", p)
                    and info.required
                ),
                "=1",
            )
            effects.append(
                SpecEffect(
                    increment=row,
                    values={column.name: amount},
                    source=f"each {ctx.entity.replace('_', ' ')} adds to {column.name}",
                )
            )
    return effects


def cascade_effects(ctx: RuleContext, spec_entities: dict[str, str]) -> list[SpecEffect]:
    """Rows of other entities a delete takes along when the text says so (``and its
    reminders``); ``spec_entities``: entity -> table of every entity."""
    if ctx.operation != "delete" or ctx.main is None or ctx.entity is None:
        return []
    table = ctx.tables.get(ctx.entity)
    if table is None:
        return []
    text = " ".join(sentences(ctx.description))
    effects = []
    for entity, other in ctx.tables.items():
        if entity == ctx.entity or other.parent == table.name:
            continue
        column = next((c for c in other.columns if c.references == table.name), None)
        if column is None:
            continue
        noun = entity.split("_")[-1]
        if re.search(rf"\b(its|their|all|the) {noun}s?\b", text) or re.search(
            rf"\band (its |their )?{noun}s\b", text
        ):
            effects.append(
                SpecEffect(
                    clear=entity,
                    values={column.name: f"={ctx.main}.{table.primary_key}"},
                    source=f"its {noun}s go with it",
                )
            )
    return effects


def release_effects(spec: WorldSpec) -> WorldSpec:
    """Cancelling a created row gives back what the create took (see the module docstring)."""
    tools = dict(spec.tools)
    for create_name, create in spec.tools.items():
        if create.kind != "create" or create.entity is None:
            continue
        insert = next((e for e in create.effects if e.insert == create.entity), None)
        if insert is None:
            continue
        stored = {param_of(v): column for column, v in insert.values.items() if param_of(v)}
        taken = [e for e in create.effects if e.op == "decrement"]
        if not taken:
            continue
        for name, tool in spec.tools.items():
            if tool.entity != create.entity or name == create_name:
                continue
            target = _target_status(tool, spec)
            if target not in CANCELLED:
                continue
            main = next((r for r, f in tool.find.items() if f.entity == tool.entity), None)
            if main is None:
                continue
            updated = _give_back(spec, create, tool, main, taken, stored)
            if updated is not None:
                tools[name] = updated
    return spec.model_copy(update={"tools": tools})


def _target_status(tool: SpecTool, spec: WorldSpec) -> str | None:
    entity = spec.entity(tool.entity)
    if entity is None:
        return None
    for effect in tool.effects:
        if effect.op != "update":
            continue
        for column, value in effect.values.items():
            spec_column = entity.columns.get(column)
            if (
                spec_column is not None
                and spec_column.kind == "status"
                and isinstance(value, str)
                and not value.startswith(("=", "$"))
            ):
                return value
    return None


def _rewrite(text: str, stored: dict[str, str], main: str) -> str | None:
    """An expression of the create's arguments in terms of the stored row (None if an argument
    was not stored)."""
    missing = False

    def repl(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group(1) or match.group(2)
        if name not in stored:
            missing = True
            return match.group(0)
        return f"{main}.{stored[name]}"

    out = re.sub(r"\$(?:\{([^}]+)\}|([A-Za-z_][A-Za-z0-9_]*))", repl, text)
    return None if missing else out


def _give_back(
    spec: WorldSpec,
    create: SpecTool,
    tool: SpecTool,
    main: str,
    taken: list[SpecEffect],
    stored: dict[str, str],
) -> SpecTool | None:
    find = dict(tool.find)
    effects = list(tool.effects)
    children = spec.children_of(create.entity or "")
    for effect in taken:
        lookup = create.find.get(effect.target)
        if lookup is None:
            return None
        each = None
        if lookup.each is not None:
            variable, _, source = lookup.each.partition(" in ")
            param = param_of(source.strip())
            child = children.get(param or "")
            if child is None:
                continue
            parent = spec.entities[child].parent
            assert parent is not None
            key = spec.entities[create.entity].key  # type: ignore[index]
            each = f'{variable.strip()} in rows("{child}", {parent.column}={main}.{key})'
            by = dict(lookup.by)
        else:
            by = {}
            for column, value in lookup.by.items():
                rewritten = _rewrite(str(value), stored, main)
                if rewritten is None:
                    break
                by[column] = rewritten if rewritten.startswith(("=", "$")) else f"={rewritten}"
            if len(by) != len(lookup.by):
                continue
        amounts = {}
        for column, value in effect.values.items():
            rewritten = _rewrite(str(value), stored, main)
            if rewritten is None:
                break
            amounts[column] = rewritten
        if len(amounts) != len(effect.values):
            continue
        when = _rewrite(effect.when, stored, main) if effect.when else None
        if effect.when and when is None:
            continue
        bind = row_name(lookup.entity)
        existing = next(
            (
                n
                for n, f in find.items()
                if f.entity == lookup.entity and f.by == by and f.each == each
            ),
            None,
        )
        if existing is None:
            base, n = bind, 2
            while bind in find:
                bind, n = f"{base}_{n}", n + 1
            find[bind] = SpecLookup(entity=lookup.entity, by=by, each=each)
        else:
            bind = existing
        effects.append(
            SpecEffect(
                increment=bind,
                values=amounts,
                each=each,
                when=when,
                source=f"cancelling gives back what {create.entity} creation took",
            )
        )
    if effects == list(tool.effects):
        return None
    return tool.model_copy(update={"find": find, "effects": tuple(effects)})
