"""Rules that a value is given or present, or matches the row it is for, read from text:

* ``a lost reason is required when the new stage is closed_lost`` -> when
  ``$stage == 'closed_lost'``, ``$lost_reason is not None``;
* ``the booking must have a seat`` -> ``booking.seat is not None``;
* ``The pro must work in that trade`` (the call names the trade as ``service_category``, a column
  of the pro) -> ``service_pro.service_category == $service_category``;
* ``Parcels over 31.5 kg need the economy or standard service`` -> unless ``$service_level`` is
  economy or standard, ``$weight_kg <= 31.5``.
"""

from __future__ import annotations

import re

from agentscaler.worlds.infer.rules.context import RuleContext
from agentscaler.worlds.infer.rules.status import _nouns, _source
from agentscaler.worlds.infer.rules.text import mentions, sentences, spoken, tokens
from agentscaler.worlds.spec.expr import param_ref
from agentscaler.worlds.spec.model import SpecRule

_REQUIRED_WHEN = re.compile(r"^(?P<what>.*?)\b(is|are) required (when|if) (?P<cond>.*)$")
_MUST_HAVE = re.compile(r"\bmust (already )?have an? (?P<what>[a-z ]+?)(?:$|[.;,]| and | or )")
_SAME = re.compile(r"\bmust\b.*\b(that|the same|this|same)\b")
_WORK_IN = re.compile(r"\b(work|works|serve|serves|offer|offers|cover|covers|handle|handles)\b")


def _named_param(ctx: RuleContext, text: str) -> str | None:
    """The argument whose name's words a phrase ends with ("a lost reason" -> lost_reason)."""
    words = tokens(text)
    best = None
    for name in ctx.params:
        parts = spoken(name).split()
        n = len(parts)
        if n and tuple(words[-n:]) == tuple(parts) and (best is None or n > len(best[1])):
            best = (name, parts)
    return best[0] if best else None


def _condition(ctx: RuleContext, text: str) -> str | None:
    """``the new stage is closed_lost`` -> ``$stage == 'closed_lost'``."""
    words = tokens(text)
    if "is" not in words:
        return None
    at = words.index("is")
    name = _named_param(ctx, " ".join(words[:at]))
    if name is None:
        return None
    values = [str(v) for v in ctx.params[name].schema.get("enum") or ()]
    said = " ".join(words[at + 1 :])
    column = ctx.tables.get(ctx.entity or "")
    if not values and column is not None and column.column(name) is not None:
        values = [str(v) for v in column.column(name).enum or ()]  # type: ignore[union-attr]
    value = next((v for v in values if said.startswith(spoken(v))), None)
    if value is None:
        value = next((w for w in text.split() if "_" in w), None)  # "closed_lost" as written
    return f"{param_ref(name)} == {value!r}" if value else None


def requirement_rules(ctx: RuleContext) -> list[SpecRule]:
    if ctx.operation == "search":
        return []
    rules: list[SpecRule] = []
    for param, text in ctx.texts():
        if param is not None:
            continue
        for sentence in sentences(text):
            raw = sentence.rstrip(".;")
            required = _REQUIRED_WHEN.search(raw)
            if required is not None:
                name = _named_param(ctx, required.group("what"))
                when = _condition(ctx, required.group("cond").replace(" ", " "))
                if name is not None and when is not None and not ctx.params[name].required:
                    rules.append(
                        SpecRule(
                            name=f"{name}_given"[:60],
                            kind="other",
                            check=f"{param_ref(name)} is not None",
                            when=when,
                            error=f"{spoken(name)} is required here",
                            source=_source(text, sentence),
                        )
                    )
            rules.extend(_must_have(ctx, text, sentence))
            rules.extend(_same(ctx, text, sentence))
            rules.extend(_choices_over(ctx, text, sentence))
            rules.extend(_up_to_difference(ctx, text, sentence))
    return rules


_UP_TO_MINUS = re.compile(
    r"\bup to (?:the |its |their )?(?P<a>[a-z ]+?) minus (?:the |its )?(?P<b>[a-z]+(?: [a-z]+)?)"
)


def _column_named(ctx: RuleContext, phrase: str) -> str | None:
    """``row.column`` of a bound row, or of a row one reference from one, spoken as ``phrase``
    (binding it when needed)."""
    words = phrase.split()
    candidates = [(r, e) for r, e in ctx.rows().items() if r != ctx.created] + ctx.referred()
    for name, entity in candidates:
        table = ctx.tables.get(entity)
        for column in table.columns if table is not None else ():
            spoken_name = spoken(column.name).split()
            if column.type in ("INTEGER", "REAL") and spoken_name == words[-len(spoken_name) :]:
                row = ctx.bind_referred(name)
                if row is not None:
                    return f"{row}.{column.name}"
    return None


def _up_to_difference(ctx: RuleContext, text: str, sentence: str) -> list[SpecRule]:
    """``for an amount up to the coverage limit minus the deductible``."""
    found = _UP_TO_MINUS.search(sentence)
    if found is None:
        return []
    amounts = [n for n, i in ctx.params.items() if i.json_type in ("number", "integer")]
    amount = next((n for n in amounts if "amount" in n.split("_")), None) or (
        amounts[0] if len(amounts) == 1 else None
    )
    high = _column_named(ctx, found.group("a").strip())
    low = _column_named(ctx, found.group("b").strip())
    if amount is None or high is None or low is None:
        return []
    return [
        SpecRule(
            name=f"{amount}_within_{high.split('.')[-1]}"[:60],
            kind="sufficient",
            check=f"{high} - coalesce({low}, 0) >= {param_ref(amount)}",
            error=f"{spoken(amount)} {{{param_ref(amount)}}} is more than {{{high}}} less "
            f"{{{low}}}",
            source=_source(text, sentence),
        )
    ]


_OVER = re.compile(
    r"\b(?:over|above|more than|heavier than|longer than|exceeding) (\d+(?:\.\d+)?) ?([a-z]+)?"
)
_NEED = re.compile(r"\b(need|needs|require|requires|must use|only with)\b")


def _choices_over(ctx: RuleContext, text: str, sentence: str) -> list[SpecRule]:
    """Above a number, an argument must take one of the values the sentence names."""
    over = _OVER.search(sentence)
    if over is None or not _NEED.search(sentence[over.end() :]):
        return []
    limit, unit = over.group(1), over.group(2) or ""
    before = {w.rstrip("s") for w in tokens(sentence[: over.start()])[-3:]}
    number = next(
        (
            name
            for name, info in ctx.params.items()
            if info.json_type in ("number", "integer")
            and (unit in name.split("_") or {w.rstrip("s") for w in name.split("_")} & before)
        ),
        None,
    )
    if number is None:
        return []
    after = " " + " ".join(tokens(sentence[over.end() :])) + " "
    for name, info in ctx.params.items():
        values = [str(v) for v in info.schema.get("enum") or ()]
        named = [v for v in values if f" {spoken(v)} " in after]
        if not named or len(named) == len(values) or name == number:
            continue
        literal = ", ".join(repr(v) for v in named) + ("," if len(named) == 1 else "")
        return [
            SpecRule(
                name=f"at_most_{number}"[:60],
                kind="limit",
                check=f"{param_ref(number)} <= {limit}",
                when=f"{param_ref(name)} not in ({literal})",
                error=f"{spoken(number)} {{{param_ref(number)}}} is over {limit}; that needs "
                + " or ".join(named),
                source=_source(text, sentence),
            )
        ]
    return []


def _must_have(ctx: RuleContext, text: str, sentence: str) -> list[SpecRule]:
    found = _MUST_HAVE.search(sentence)
    if found is None or ctx.main is None:
        return []
    table = ctx.tables.get(ctx.entity or "")
    if table is None:
        return []
    wanted = found.group("what").split()
    column = next(
        (
            c
            for c in table.columns
            if c.nullable
            and not c.primary_key
            and spoken(c.name).split() == wanted[-len(spoken(c.name).split()) :]
        ),
        None,
    )
    if column is None or column.name in ctx.params:
        return []
    return [
        SpecRule(
            name=f"{ctx.main}_has_{column.name}"[:60],
            kind="other",
            check=f"{ctx.main}.{column.name} is not None",
            error=f"{ctx.main.replace('_', ' ')} {{{ctx.main}.{table.primary_key}}} has no "
            f"{spoken(column.name)}",
            source=_source(text, sentence),
        )
    ]


def _same(ctx: RuleContext, text: str, sentence: str) -> list[SpecRule]:
    """A row the call names must match a value the call gives for one of its own columns."""
    if not _SAME.search(sentence):
        return []
    words = tokens(sentence)
    rules = []
    for row, entity in ctx.rows().items():
        if row in (ctx.created, ctx.main) and ctx.operation != "create":
            continue
        table = ctx.tables.get(entity)
        if table is None or not any(mentions(words, n) for n in _nouns(ctx, row, entity)):
            continue
        for name, info in ctx.params.items():
            column = table.column(name)
            if column is None or column.primary_key or column.references:
                continue
            if info.json_type not in ("string", None) or not _WORK_IN.search(sentence):
                continue
            rules.append(
                SpecRule(
                    name=f"{row}_{name}_matches"[:60],
                    kind="other",
                    check=f"{row}.{name} == {param_ref(name)}",
                    when=None if info.required else f"{param_ref(name)} is not None",
                    error=f"{row.replace('_', ' ')} {{{row}.{table.primary_key}}} has "
                    f"{spoken(name)} {{{row}.{name}}}, not {{{param_ref(name)}}}",
                    source=_source(text, sentence),
                )
            )
    return rules
