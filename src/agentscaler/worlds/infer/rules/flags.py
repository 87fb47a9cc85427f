"""Rules on yes/no columns and kinds of records, read from text.

* flags: ``Lock an online door lock`` -> ``device.is_online``; ``at an open merchant`` ->
  ``merchant.is_open``; ``Only verified organizers can publish`` -> ``organizer.verified``;
  ``for a meter that is not a smart meter`` -> ``not meter.is_smart_meter``; a condition in
  the same sentence becomes the rule's ``when`` (``video visits need a doctor offering them``
  -> when ``$visit_type == 'video'``; ``parties over 8`` -> when ``$party_size > 8``);
* kinds: ``Set the brightness of an online light`` -> ``device.device_type == 'light'``;
  ``Cash rides cannot be tipped`` -> ``ride.payment_method != 'cash'``.
"""

from __future__ import annotations

import re

from agentscaler.records.world import Column
from agentscaler.worlds.infer.rules.context import STATE_COLUMN, RuleContext
from agentscaler.worlds.infer.rules.status import _nouns, _source
from agentscaler.worlds.infer.rules.text import (
    is_result_sentence,
    mentions,
    negated,
    sentences,
    tokens,
    word_forms,
)
from agentscaler.worlds.spec.expr import param_ref
from agentscaler.worlds.spec.model import SpecRule

_FLAG_PREFIXES = frozenset("is has can allows allow accepts accept supports support".split())
_SYNONYMS = {
    "preapproved": ("pre approved", "preapproved", "pre approval"),
    "reservable": ("reservable", "reservations", "takes reservations"),
    "verified": ("verified",),
    "locked": ("locked",),
    "online": ("online",),
    "open": ("open",),
    "available": ("available",),
}
_OPPOSITES = {"online": ("offline",), "open": ("closed",), "available": ("unavailable",)}
"""Words saying a flag is false (the last word of the flag's name -> its opposites)."""
_OVER = re.compile(
    r"\b(?:over|more than|above|larger than|greater than|exceeding) (\d+(?:\.\d+)?)\b"
)


def _flag_phrases(column: Column) -> list[str]:
    words = column.name.split("_")
    core = [w for w in words if w not in _FLAG_PREFIXES] or words
    phrases = {" ".join(core)}
    if words[0] in ("accepts", "accept", "supports", "allows"):
        phrases.add(" ".join(["accept", *core]))
        phrases.add(" ".join(words))
    if len(core) > 1:
        phrases.add(
            core[-1] if core[-1] not in ("visits", "parties", "patients") else " ".join(core)
        )
    for word in core:
        phrases.update(_SYNONYMS.get(word, ()))
    return sorted(phrases, key=len, reverse=True)


def _subject_of(words: list[str], nouns: list, start: int) -> bool:
    """Whether the flag at ``start`` is said of the sentence's subject: "All dishes must come
    from that merchant and be available" (the subject opens the sentence, the flag follows
    "must ... be")."""
    opening = any(n.start <= 2 for n in nouns)
    return opening and "must" in words[:start] and start > 0 and words[start - 1] == "be"


def _conditions(ctx: RuleContext, sentence: str, words: list[str]) -> str | None:
    """The condition a sentence puts on an argument (``video visits``, ``parties over 8``)."""
    text = f" {sentence} "
    found = []
    for name, param in ctx.params.items():
        for value in param.schema.get("enum") or ():
            if isinstance(value, str) and f" {value.replace('_', ' ').lower()} " in text:
                found.append(f"{param_ref(name)} == {value!r}")
    over = _OVER.search(sentence)
    if over is not None:
        before = sentence[: over.start()].split()[-3:]
        for name, param in ctx.params.items():
            if param.json_type in ("integer", "number") and set(name.split("_")) & {
                w.rstrip("s") for w in before
            } | set(before):
                found.append(f"{param_ref(name)} > {over.group(1)}")
    return found[0] if len(found) == 1 else None


def _clause(sentence: str, phrase: str) -> str:
    """The part of a sentence (between commas and "and"s) holding ``phrase``."""
    for part in re.split(r",|;|\band\b|\bbut\b", sentence):
        if phrase in part:
            return part.strip()
    return sentence


def flag_rules(ctx: RuleContext) -> list[SpecRule]:
    if ctx.operation == "search":
        return []
    rows = {r: e for r, e in ctx.rows(each=True).items() if r != ctx.created}
    flags = []
    for row, entity in rows.items():
        table = ctx.tables.get(entity)
        if table is None:
            continue
        for column in table.columns:
            if column.type == "BOOLEAN":
                flags.append((row, entity, column))
    # rows the bound ones refer to ("Only verified organizers can publish" an event): bound
    # when a sentence names their flag next to their noun
    for name, target in ctx.referred():
        if target in rows.values():
            continue
        for flag in ctx.tables[target].columns:
            if flag.type == "BOOLEAN":
                flags.append((name, target, flag))
    if not flags:
        return []
    rules: list[SpecRule] = []
    done: set[tuple[str, str]] = set()
    for param, text in ctx.texts():
        for number, sentence in enumerate(sentences(text)):
            if is_result_sentence(sentence):
                continue
            words = tokens(sentence)
            for row, entity, column in flags:
                if (row, column.name) in done:
                    continue
                spans = [m for p in _flag_phrases(column) for m in mentions(words, p)]
                opposite = [
                    m
                    for p in _OPPOSITES.get(column.name.split("_")[-1], ())
                    for m in mentions(words, p)
                ]
                if not spans and not opposite:
                    continue
                related = row.startswith("<")
                noun_row = entity if related else row
                nouns = [m for p in _nouns(ctx, noun_row, entity) for m in mentions(words, p)]
                span = spans[0] if spans else opposite[0]
                near = any(
                    0 <= n.start - span.end <= 4 or 0 <= span.start - n.end <= 6 for n in nouns
                ) or _subject_of(words, nouns, span.start)
                if related and not near:
                    continue
                if not near and not (row == ctx.main and param is None and number == 0):
                    continue
                if related:
                    bound = ctx.bind_referred(row)
                    if bound is None:
                        continue
                    row = bound
                if span.start > 0 and words[span.start - 1] in ("as", "to", "sets", "set"):
                    continue  # the call sets the flag
                if ctx.params.get(column.name) is not None and row == ctx.main:
                    continue  # the call sets this very column
                bad = negated(words, span.start, span.end) or (
                    words[span.start].startswith("un") and not column.name.startswith("un")
                )
                if not spans:
                    bad = not bad  # "Offline devices cannot be switched": online is required
                check = f"not {row}.{column.name}" if bad else f"{row}.{column.name}"
                label = row.replace("_", " ")
                what = column.name.removeprefix("is_").replace("_", " ")
                clause = _clause(sentence, " ".join(words[span.start : span.end]))
                rules.append(
                    SpecRule(
                        name=f"{row}_{'not_' if bad else ''}{column.name}"[:60],
                        kind="other",
                        check=check,
                        each=ctx.find[row].each if row in ctx.find else None,
                        when=_conditions(ctx, clause, tokens(clause)),
                        error=(
                            f"{label} {{{row}.{ctx.tables[entity].primary_key}}} "
                            f"{_flag_said(what, bad)}"
                        ),
                        source=_source(text, sentence),
                    )
                )
                done.add((row, column.name))
    return rules


def _flag_said(what: str, bad: bool) -> str:
    """What a row whose flag is wrong is: "is not verified", "does not meet quality criteria"."""
    verb, _, rest = what.partition(" ")
    if verb == "meets" and rest:
        return what if bad else f"does not meet {rest}"
    return f"{'is' if bad else 'is not'} {what}"


def kind_rules(ctx: RuleContext) -> list[SpecRule]:
    """Rules that the acted-on row (or a row it names) is of a kind the text names."""
    if ctx.operation == "search":
        return []
    rules = []
    rows = {r: e for r, e in ctx.rows().items() if r != ctx.created}
    for row, entity in rows.items():
        table = ctx.tables.get(entity)
        if table is None:
            continue
        for column in table.columns:
            if not column.enum or column.primary_key or STATE_COLUMN.search(column.name):
                continue
            if column.semantic == "status" or ctx.params.get(column.name) is not None:
                continue
            values = [v for v in column.enum if isinstance(v, str)]
            rule = _kind_rule(ctx, row, entity, column, values)
            if rule is not None:
                rules.append(rule)
    return rules


_PARTICLES = frozenset("on off yes no none other".split())


def _value_forms(
    value: str, values: list[str], entity_words: set[str]
) -> tuple[tuple[str, ...], ...]:
    """How a kind reads: its words (singular or plural), or its last word alone when no other
    kind ends with it and no entity is named with it ("plug" for smart_plug, not "booking" for
    duplicate_booking)."""
    forms = word_forms(value.replace("_", " "))
    words = value.split("_")
    if (
        len(words) > 1
        and words[-1] not in entity_words
        and sum(v.split("_")[-1] == words[-1] for v in values) == 1
    ):
        forms = (*forms, *word_forms(words[-1]))
    return forms


def _kind_rule(
    ctx: RuleContext, row: str, entity: str, column: Column, values: list[str]
) -> SpecRule | None:
    allowed: list[str] = []
    forbidden: list[str] = []
    source = ""
    for param, text in ctx.texts():
        if param is not None:
            continue
        for number, sentence in enumerate(sentences(text)):
            words = tokens(sentence)
            nouns = [m for p in _nouns(ctx, row, entity) for m in mentions(words, p)]
            names = {w for e in ctx.tables for w in e.split("_")}
            listed = {f[0] for v in values for f in _value_forms(v, values, names)}
            for value in values:
                if value.replace("_", " ") in _PARTICLES:
                    continue  # "on or off", "yes": words of the sentence, not kinds
                for form in _value_forms(value, values, names):
                    # the first sentence starts with its verb; later ones may start with a kind
                    # ("Cash rides cannot be tipped")
                    for start in range(1 if number == 0 else 0, len(words) - len(form) + 1):
                        if tuple(words[start : start + len(form)]) != form:
                            continue
                        end = start + len(form)
                        next_noun = any(0 <= n.start - end <= 1 for n in nouns)
                        is_object = (
                            number == 0
                            and row == ctx.main
                            and (
                                next_noun
                                or end == len(words)
                                or words[end] in ("s", "with", "to", "for", "that", "on", "in")
                                or words[end] in ("or", "and")
                                or words[end] in listed  # "a light, plug, speaker or camera"
                            )
                        )
                        if negated(words, start, end) and (next_noun or row == ctx.main):
                            forbidden.append(value)
                            source = source or _source(text, sentence)
                        elif is_object:
                            allowed.append(value)
                            source = source or _source(text, sentence)
    allowed = list(dict.fromkeys(allowed))
    forbidden = [v for v in dict.fromkeys(forbidden) if v not in allowed]
    label = row.replace("_", " ")
    what = column.name.replace("_", " ")
    key = ctx.tables[entity].primary_key
    if allowed and len(allowed) < len(values):
        literal = ", ".join(repr(v) for v in allowed) + ("," if len(allowed) == 1 else "")
        return SpecRule(
            name=f"{row}_{column.name}_is_{'_or_'.join(allowed)}"[:60],
            kind="other",
            check=f"{row}.{column.name} in ({literal})",
            error=f"{label} {{{row}.{key}}} has {what} {{{row}.{column.name}}}; this needs "
            + " or ".join(allowed),
            source=source,
        )
    if forbidden:
        literal = ", ".join(repr(v) for v in forbidden) + ("," if len(forbidden) == 1 else "")
        return SpecRule(
            name=f"{row}_{column.name}_not_{'_or_'.join(forbidden)}"[:60],
            kind="other",
            check=f"{row}.{column.name} not in ({literal})",
            error=f"{label} {{{row}.{key}}} has {what} {{{row}.{column.name}}}, which cannot "
            "be used here",
            source=source,
        )
    return None
