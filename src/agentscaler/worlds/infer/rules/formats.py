"""Formats a parameter's description states for its text values that its schema does not
enforce: a prefix ("Mention name should start with @", "Tag name should start with #") and named
formats ("following Semantic Versioning", "Must contain valid HTML structure"; see :mod:`agentscaler.worlds.runtime.text_formats`)."""

from __future__ import annotations

import re

from agentscaler.worlds.infer.rules.context import RuleContext
from agentscaler.worlds.infer.rules.text import clauses
from agentscaler.worlds.runtime.text_formats import TEXT_FORMATS
from agentscaler.worlds.spec.expr import param_ref
from agentscaler.worlds.spec.model import SpecRule

_PREFIX = re.compile(
    r"\b(?:should|must|has to|have to|needs? to)\s+(?:always\s+)?(?:start|begin)\s+with\s+"
    r"(?:an?\s+|the\s+)?[\"'`]?([^\s\w\"'`.,;:!?])[\"'`]?(?=[\s.,;)]|$)",
    re.IGNORECASE,
)
"""A prefix of punctuation ('@', '#', '$', '/'): letters after "start with" name a word
("start with a capital letter"), which is not a prefix."""


_NAMED = (
    ("semver", re.compile(r"\bsemantic\s+versioning\b|\bsemver\b", re.IGNORECASE)),
    (
        "html",
        re.compile(
            r"\b(?:valid|well[- ]formed|proper(?:ly)?)\s+(?:html|xhtml)\b"
            r"|\bhtml\s+(?:tags?\s+)?(?:\w+\s+){0,4}(?:properly\s+)?closed\b",
            re.IGNORECASE,
        ),
    ),
)
"""Phrases naming a format of a text argument (the description must say the value follows it,
not only mention it: "valid HTML", "following Semantic Versioning")."""


def named_format_rules(ctx: RuleContext) -> list[SpecRule]:
    """A text argument whose description names a format (and whose schema has no pattern or
    format of its own) must have it."""
    if ctx.operation == "search":
        return []
    rules = []
    for name, info in ctx.params.items():
        text = info.schema.get("description")
        if (
            not isinstance(text, str)
            or info.json_type != "string"
            or "pattern" in info.schema
            or "format" in info.schema
            or "enum" in info.schema
        ):
            continue
        for format_name, phrase in _NAMED:
            if phrase.search(text) is None:
                continue
            expr = param_ref(name)
            sentence = next(
                (s.strip() for s in clauses(text) if phrase.search(s)),
                text,
            )
            rules.append(
                SpecRule(
                    name=f"{name}_is_{format_name}"[:60],
                    kind="other",
                    check=f"in_format({expr}, {format_name!r})",
                    when=f"{expr} is not None",
                    error=f"{name} must be {TEXT_FORMATS[format_name].spoken}",
                    source=sentence,
                )
            )
            break
    return rules


def format_rules(ctx: RuleContext) -> list[SpecRule]:
    """A text argument (or each text of a list argument) must start with the stated prefix."""
    if ctx.operation == "search":
        return []
    rules = named_format_rules(ctx)
    for name, info in ctx.params.items():
        text = info.schema.get("description")
        if not isinstance(text, str):
            continue
        match = _PREFIX.search(text)
        if match is None:
            continue
        prefix = match.group(1)
        items = info.schema.get("items")
        expr = param_ref(name)
        if info.json_type == "string" and "pattern" not in info.schema:
            check = f"len(str({expr})) > 0 and str({expr})[0] == {prefix!r}"
        elif (
            info.json_type == "array"
            and isinstance(items, dict)
            and items.get("type") == "string"
            and "pattern" not in items
        ):
            check = f"len([v for v in {expr} if len(str(v)) == 0 or str(v)[0] != {prefix!r}]) == 0"
        else:
            continue
        sentence = next(
            (s.strip() for s in clauses(text) if _PREFIX.search(s)),
            text,
        )
        rules.append(
            SpecRule(
                name=f"{name}_starts_with_prefix"[:60],
                kind="other",
                check=check,
                when=f"{expr} is not None",
                error=f"{name} is {{{expr}}}; every value must start with {prefix}",
                source=sentence,
            )
        )
    return rules
