"""Rules about which records may exist together, read from text and from the tool's arguments.

* uniqueness: ``A customer can review a product once``, ``Names must be unique``, ``The email
  must not belong to another contact``, ``A vehicle can have one active session``, ``The seat
  must be free`` -> ``not exists(...)`` over the columns the sentence names (for a create, the
  references it is made with);
* "once" on a row: ``A ride can be rated once`` -> the column the call sets is still empty;
* ownership: a call that names a person (or another owner) and a row that refers to one must
  name the same one: ``payee.client_id == $client_id``, per item for lists (``dish.merchant_id``);
* existence of listed ids: ``Every label must exist`` -> each id of the list names a row.
"""

from __future__ import annotations

import re

from agentscaler.naming import entity_of_parameter, singular
from agentscaler.worlds.infer.operations import TRADE_VERBS
from agentscaler.worlds.infer.rules.context import RuleContext
from agentscaler.worlds.infer.rules.status import _source
from agentscaler.worlds.infer.rules.text import negated, sentences, tokens
from agentscaler.worlds.infer.toolshape import name_verb
from agentscaler.worlds.spec.expr import param_ref
from agentscaler.worlds.spec.model import SpecRule

_ONCE = re.compile(
    r"\b(once(?=\s*[.;,!?]?\s*$|\s+(?:per|and|only|each))|unique|only one|one \w+ only|at most one|\w+ only once|"
    r"(?:registered|saved|used|taken|listed) already|already (?:registered|saved|exists?|in use|taken|on)|"
    r"belong to another|"
    r"two \w+ \w* ?(for|in|on) the same|two \w+ (for|in|on) the same|must be free|"
    r"at a free|another free|not already|on one \w+ only|can have (?:only )?one)\b"
)
_FREE = re.compile(r"\b(free|available)\b")
_IDENTITY = re.compile(r"\bunique(?:ly)?\s+(?:identifier|identifies|identify|id|ids|key)\b", re.I)
"""How a description says what an identifier is ("The unique identifier of the player"), which
states no uniqueness of the row a call writes."""


def _key_of(ctx: RuleContext, entity: str) -> str:
    return ctx.tables[entity].primary_key


def unique_rules(ctx: RuleContext) -> list[SpecRule]:
    """``not exists`` rules for records that may exist only once."""
    if ctx.operation not in ("create", "update", "transition") or ctx.entity is None:
        return []
    table = ctx.tables.get(ctx.entity)
    if table is None:
        return []
    columns = {c.name: c for c in table.columns}
    rules: list[SpecRule] = []
    for _param, text in ctx.texts():
        for sentence in sentences(text):
            if not _ONCE.search(_IDENTITY.sub(" ", sentence)):
                continue
            words = tokens(sentence)
            mentioned = _named_fields(ctx, words, columns)
            if ctx.operation == "create":
                refs = [
                    (c, param_ref(p))
                    for p, info in ctx.params.items()
                    if (c := info.name) in columns
                    and columns[c].references
                    and info.json_type != "array"
                ]
                fields = mentioned or (
                    refs if re.search(r"\bonce\b|\bsame\b|\bone\b", sentence) else []
                )
                if re.search(r"\bonce\b", sentence):
                    # "A patron can hold a title once": the pair of rows the record joins
                    fields = list(dict.fromkeys([*refs, *fields]))
                if re.search(r"\b(must be free|at a free|another free)\b", sentence):
                    fields = _slot_fields(ctx, columns, sentence=sentence) or fields
                    owner = _slot_owner(ctx, columns, sentence)
                    if owner is not None and fields:
                        fields = [owner, *[f for f in fields if not columns[f[0]].references]]
            else:
                fields = mentioned
                if re.search(r"\bonce\b", sentence) and not fields and ctx.main:
                    rules.extend(_set_once(ctx, sentence, text))
                    continue
                if re.search(r"\b(must be free|at a free|another free)\b", sentence):
                    fields = _slot_fields(ctx, columns, row=ctx.main, sentence=sentence) or fields
            if not fields:
                continue
            states = [
                v
                for c in ctx.state_columns(ctx.entity)
                for v in (c.enum or ())
                if isinstance(v, str) and f" {v.replace('_', ' ')} " in f" {sentence} "
            ]
            where = dict(fields)
            state_column = next((c.name for c in ctx.state_columns(ctx.entity)), None)
            if states and state_column:
                where[state_column] = repr(states[0])
            kwargs = ", ".join(f"{c}={v}" for c, v in where.items())
            names = "_".join(c for c, _ in fields)
            check = f'not exists("{ctx.entity}", {kwargs})'
            if ctx.operation != "create" and ctx.main:
                key = _key_of(ctx, ctx.entity)
                check = (
                    f'count("{ctx.entity}", {kwargs}) == 0 or '
                    f'(count("{ctx.entity}", {kwargs}) == 1 and '
                    f'exists("{ctx.entity}", {kwargs}, {key}={ctx.main}.{key}))'
                )
            said = ", ".join(f"{c.replace('_', ' ')}" for c, _ in fields)
            rules.append(
                SpecRule(
                    name=f"unique_{names}"[:60],
                    kind="unique",
                    check=check,
                    error=f"another {ctx.entity.replace('_', ' ')} already has this {said}",
                    source=_source(text, sentence),
                )
            )
    return rules


def _named_fields(ctx: RuleContext, words: list[str], columns: dict) -> list[tuple[str, str]]:
    """Arguments that set a column and whose name the sentence says (``names``, ``email``,
    ``plate``)."""
    found = []
    text = " " + " ".join(singular(w) for w in words) + " "
    for name, info in ctx.params.items():
        column = name if name in columns else None
        if column is None or columns[column].primary_key:
            continue
        parts = [singular(w) for w in name.split("_")]
        named = any(f" {p} " in text for p in parts if p not in ("id", "name") or len(parts) == 1)
        if named and info.json_type in ("string", "integer", None):
            found.append((column, param_ref(name)))
    return found


_PERSONS = frozenset(
    """passenger customer patient patron user member client guest viewer rider student employee
    owner account traveler traveller buyer person contact""".split()
)


def _slot_fields(
    ctx: RuleContext, columns: dict, row: str | None = None, sentence: str = ""
) -> list[tuple[str, str]]:
    """A slot held by one record at a time: a seat or time with the thing it belongs to
    (the flight of a seat, the doctor of a time): the reference the sentence names ("with the
    same doctor"), else the first that is not a person (a seat is the flight's, not the
    passenger's)."""
    slot = [
        p
        for p in ctx.params
        if p in columns
        and re.search(r"(seat|time|slot|start|date|spot)", p)
        and not columns[p].references
    ]
    if not slot:
        return []
    owners: list[tuple[str, str]] = [
        (p, param_ref(p))
        for p, info in ctx.params.items()
        if p in columns and columns[p].references and info.json_type != "array"
    ]
    if row is not None:
        owners += [
            (c.name, f"{row}.{c.name}")
            for c in columns.values()
            if c.references and c.name not in ctx.params and not c.primary_key
        ]
    words = set(tokens(sentence))
    named = [o for o in owners if o[0].removesuffix("_id").split("_")[-1] in words]
    things = [o for o in owners if o[0].removesuffix("_id").split("_")[-1] not in _PERSONS]
    owner = (named or things or owners or [None])[0]
    fields = [(s, param_ref(s)) for s in slot[:1]]
    return ([owner] if owner else []) + fields


def _slot_owner(ctx: RuleContext, columns: dict, sentence: str) -> tuple[str, str] | None:
    """The reference argument the sentence ties a free slot to ("with a doctor at a free
    time"): the one whose entity it names closest before the slot word."""
    at = max(sentence.rfind(" free"), sentence.rfind(" available"))
    best = None
    for p, info in ctx.params.items():
        if p not in columns or not columns[p].references or info.json_type == "array":
            continue
        noun = p.removesuffix("_id").replace("_", " ")
        where = sentence.rfind(noun, 0, at if at > 0 else None)
        if where >= 0 and (best is None or where > best[0]):
            best = (where, (p, param_ref(p)))
    return best[1] if best else None


def _set_once(ctx: RuleContext, sentence: str, text: str) -> list[SpecRule]:
    """``can be rated once``: the column the call sets must still be empty."""
    table = ctx.tables.get(ctx.entity or "")
    if table is None or ctx.main is None:
        return []
    set_columns = [
        p
        for p, info in ctx.params.items()
        if p in {c.name for c in table.columns}
        and not table.column(p).primary_key
        and not table.column(p).references  # type: ignore[union-attr]
    ]
    words = set(tokens(sentence))
    stems = words | {w[:-1] for w in words if w.endswith("d")} | {w[:-2] for w in words}
    # a column every earlier call set says it happened; else the one the sentence names
    required = [c for c in set_columns if ctx.params[c].required]
    chosen = (
        (required[0] if len(required) == 1 else None)
        or next((c for c in set_columns if set(c.split("_")) & stems), None)
        or (set_columns[0] if len(set_columns) == 1 else None)
    )
    if chosen is None:
        return []
    return [
        SpecRule(
            name=f"{chosen}_not_set_yet"[:60],
            kind="unique",
            check=f"{ctx.main}.{chosen} is None",
            error=f"{ctx.main.replace('_', ' ')} already has a {chosen.replace('_', ' ')}",
            source=_source(text, sentence),
        )
    ]


def ownership_rules(ctx: RuleContext) -> list[SpecRule]:
    """A row the call names must belong to the owner the call also names."""
    if ctx.operation == "search":
        return []
    rules = []
    owners = {}
    for name, info in ctx.params.items():
        entity = entity_of_parameter(name)
        if entity and entity in ctx.tables and info.json_type in ("string", "integer", None):
            owners[name] = entity
    verb, object_words = name_verb(ctx.tool)
    for row, lookup in ctx.find.items():
        if row == ctx.created:
            continue
        table = ctx.tables.get(lookup.entity)
        if table is None:
            continue
        if verb in TRADE_VERBS and lookup.entity.split("_")[-1] in object_words:
            continue  # purchase_item(player_id, item_id): the item is not the buyer's yet
        for param, owner in owners.items():
            if owner == lookup.entity:
                continue
            owner_table = ctx.tables[owner]
            column = next(
                (
                    c
                    for c in table.columns
                    if c.references == owner_table.name and not c.primary_key
                ),
                None,
            )
            if column is None:
                continue
            if any(str(v) == param_ref(param) for v in lookup.by.values()):
                continue
            if row == ctx.main and param in ctx.written:
                continue  # the call gives the row this value (moves a booking to a flight)
            optional = not ctx.params[param].required
            label = row.replace("_", " ")
            rules.append(
                SpecRule(
                    name=f"{row}_of_this_{owner}"[:60],
                    kind="ownership",
                    check=f"{row}.{column.name} == {param_ref(param)}",
                    each=lookup.each,
                    when=(f"{param_ref(param)} is not None" if optional else None)
                    if not lookup.optional
                    else f"{row} is not None"
                    + (f" and {param_ref(param)} is not None" if optional else ""),
                    error=(
                        f"{label} {{{row}.{table.primary_key}}} belongs to another "
                        f"{owner.replace('_', ' ')} ({{{row}.{column.name}}})"
                    ),
                    source="the call names both",
                )
            )
    return rules


def exists_rules(ctx: RuleContext) -> list[SpecRule]:
    """Each id of a list argument must name an existing row (``label_ids``)."""
    rules = []
    for name, info in ctx.params.items():
        if info.json_type != "array":
            continue
        items = info.schema.get("items")
        if isinstance(items, dict) and items.get("properties"):
            continue
        entity = entity_of_parameter(name)
        if entity is None:
            words = name.split("_")
            if words[-1] in ("ids", "id") and len(words) >= 2:
                entity = "_".join(singular(w) for w in words[:-1])
        if entity is None or entity not in ctx.tables or entity == ctx.entity:
            continue
        if len(ctx.tables[entity].columns) < 2:
            continue  # an entity known only by its ids: nothing says which ids exist
        key = _key_of(ctx, entity)
        stated = next(
            (
                _source(text, sentence)
                for _param, text in ctx.texts()
                for sentence in sentences(text)
                if re.search(r"\bmust (already )?exist\b", sentence)
            ),
            None,
        )
        rules.append(
            SpecRule(
                name=f"every_{entity}_exists"[:60],
                kind="exists",
                check=f'exists("{entity}", {key}=one)',
                each=f"one in {param_ref(name)}",
                error=f"no {entity.replace('_', ' ')} {{one}}",
                source=stated or "each listed id names a record",
            )
        )
    return rules


def _negated_anywhere(words: list[str]) -> bool:
    return any(negated(words, i) for i in range(len(words)))
