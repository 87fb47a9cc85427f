"""``policy.md``: the service policy of a world, the agent's system prompt.

A world's policy is written from its spec: what the service keeps, how the agent identifies the
user (the tools that find a person by email, phone or name, or the references a user holds), the
service conventions every agent follows (identify before acting on an account, confirm before any
change, one change at a time, ask only for what the user knows, report results from the tools),
and, per tool, the rules that say what may not be done (each with the sentence it comes from and
the message the service answers when it is broken) and how statuses may change.

It is a readable Markdown file beside ``spec.yaml``, and users edit it. Its first line records the
hash of the text as generated; a file whose text no longer matches that hash (or has no such
line) was edited, and a rebuild keeps it (``agentscaler worlds build --force`` writes a fresh
one). :func:`read_policy` gives the text the agent is shown (the first line left out).
"""

from __future__ import annotations

import re
from pathlib import Path

from agentscaler.canonical import content_hash
from agentscaler.naming import spoken
from agentscaler.worlds.infer.users import people as people_of
from agentscaler.worlds.spec.model import SpecTool, WorldSpec

POLICY_FILE = "policy.md"
_MARK = re.compile(r"^<!-- agentscaler policy ([0-9a-f]{16})\b.*?-->\n", re.DOTALL)
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_WRITE_KINDS = ("create", "update", "transition", "delete")


def _words(name: str) -> str:
    return spoken(name)


def _join(items: list[str], word: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def _finders(spec: WorldSpec, people: dict[str, list[str]]) -> list[str]:
    """Read tools that find a person by what they know."""
    found = []
    for name, tool in spec.tools.items():
        if tool.access != "read" or tool.entity not in people:
            continue
        if any(p.column in people[tool.entity] for p in tool.params.values() if p.column):
            found.append(name)
    return found


def _rule_lines(name: str, tool: SpecTool) -> list[str]:
    lines = []
    for rule in tool.requires:
        source = rule.source.split(" (convention", 1)[0].strip()
        source = re.sub(r"[,;]?\s*e\.g\.?$", "", source).strip()
        message = _PLACEHOLDER.sub(lambda m: f"<{m.group(1)}>", rule.error)
        condition = f" (only when {rule.when})" if rule.when else ""
        text = (
            f"{source.rstrip('.;,')}." if source and source not in ("schema", "convention") else ""
        )
        lines.append(
            f"- `{name}`{condition}: {text} If this rule is broken the service answers "
            f'"{message}" (rule `{rule.name}`).'.replace(":  If", ": If")
        )
    return lines


def _statuses(spec: WorldSpec) -> list[str]:
    lines = []
    for entity_name, entity in spec.entities.items():
        for column, col in entity.columns.items():
            if col.kind != "status" or not col.transitions:
                continue
            moves = [
                f"{source} to {_join(list(targets), 'or')}"
                for source, targets in col.transitions.items()
                if targets
            ]
            final = [str(v) for v in (col.values or ()) if not col.transitions.get(str(v)) and v]
            text = f"- A {_words(entity_name)}'s {_words(column)} moves only from " + "; ".join(
                moves
            )
            if final:
                text += f". A {_words(entity_name)} that is {_join(final, 'or')} no longer changes"
            lines.append(text + ".")
    return lines


def policy_text(spec: WorldSpec) -> str:
    """The policy of a world, from its spec (Markdown, without the first line)."""
    name = spec.name or spec.domain
    top = [e for e, entity in spec.entities.items() if entity.parent is None]
    people = people_of(spec)
    if spec.user in people:
        people = {spec.user: people[spec.user]}
    finders = _finders(spec, people)
    writes = [t for t, tool in spec.tools.items() if tool.access == "write"]
    service = name if name.lower().endswith("service") else f"{name} service"
    parts = [f"# {service[:1].upper()}{service[1:]}: policy", ""]
    parts.append(
        f"You are the customer service agent of the {service}. You help one user per "
        "conversation by reading and changing the service's records with your tools."
    )
    if top:
        parts.append(f"The service keeps these records: {_join([_words(e) for e in top])}.")
    parts += ["", "## Identify the user first", ""]
    if people:
        ways = sorted({_words(c) for columns in people.values() for c in columns})
        who = _join([_words(p) for p in people], "or")
        line = (
            f"- Before you act on an account or on someone's records, find out who the user is "
            f"(a {who}): ask for their {_join(ways, 'or')}, or a reference they hold, and look "
            "them up"
        )
        line += f" (with {_join([f'`{f}`' for f in finders])})." if finders else "."
        parts.append(line)
        parts.append("- Act only on the records of the person you identified.")
    else:
        refs = [f"{_words(e)} id" for e in top[:6]]
        parts.append(
            "- Before you act on a record, ask the user for the reference they hold "
            f"({_join(refs, 'or')}) and look it up."
        )
    parts += ["", "## Before any change", ""]
    if writes:
        parts.append(f"- Changes are made by {_join([f'`{w}`' for w in writes])}.")
    parts += [
        "- Before any change, tell the user exactly what you will do (which record, which new "
        "values) and ask for an explicit yes. Act only after the user confirms; if they change "
        "their mind, do what they ask instead.",
        "- One action at a time: make one change per tool call and wait for its result before "
        "the next one.",
        "",
        "## Information",
        "",
        "- Ask the user only for what they know (who they are, which record they mean by its "
        "date or name, the values they want); find ids and everything else with the tools. "
        "Never guess or make up a value.",
        "- Base every answer on what the tools return. After an action, tell the user its "
        "results: new statuses, amounts, dates and reference numbers.",
        "",
        "## What may not be done",
        "",
        "- If a request breaks one of the rules below, do not call the tool: tell the user "
        "which rule forbids it and what the record shows, and offer what can be done instead.",
        "- Do nothing the user did not ask for, and never change the records of anyone but the "
        "identified user.",
    ]
    rules = [line for t, tool in spec.tools.items() for line in _rule_lines(t, tool)]
    statuses = _statuses(spec)
    if rules:
        parts += ["", "### Rules of the tools", "", *rules]
    if statuses:
        parts += ["", "### Statuses", "", *statuses]
    return "\n".join(parts).rstrip() + "\n"


def policy_file(spec: WorldSpec) -> str:
    """The text of ``policy.md`` as generated (first line: the hash of the text below it)."""
    body = policy_text(spec)
    return (
        f"<!-- agentscaler policy {content_hash(body, length=16)}: generated from spec.yaml. "
        "Edit it freely: an edited policy is kept when the world is rebuilt (unless --force). "
        "-->\n" + body
    )


def edited_policy(world_dir: Path) -> str | None:
    """The text of a world's ``policy.md`` when a user edited it; None when it is missing or as
    generated."""
    path = Path(world_dir) / POLICY_FILE
    if not path.exists():
        return None
    text = path.read_text(encoding="utf-8")
    match = _MARK.match(text)
    if match is not None and content_hash(text[match.end() :], length=16) == match.group(1):
        return None
    return text


def read_policy(world_dir: Path | None, spec: WorldSpec | None) -> str | None:
    """The policy the agent is shown: ``policy.md`` beside the world (without its first line),
    else the one generated from ``spec``; None without either."""
    if world_dir is not None:
        path = Path(world_dir) / POLICY_FILE
        if path.exists():
            text = path.read_text(encoding="utf-8")
            match = _MARK.match(text)
            return (text[match.end() :] if match is not None else text).strip() + "\n"
    if spec is not None:
        return policy_text(spec)
    return None
