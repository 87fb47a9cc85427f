"""Records judged against named criteria before a change of state.

"Approve a supplier based on quality criteria": the supplier is approved only if it meets the
quality criteria. The world keeps that judgement as a yes/no column of the record
(``meets_quality_criteria``), and the flag rules of
:mod:`agentscaler.worlds.infer.rules.flags` make it a precondition. Only a
named kind of criteria counts ("quality", "safety", "eligibility"); "based on specified
criteria" describes a search's filters, not a judgement.
"""

from __future__ import annotations

import re

from agentscaler.worlds.infer.drafts import Entities

_BASED_ON = re.compile(
    r"\bbased on (?:the |its |their |his |her )?([a-z]+) (criteria|standards|requirements)\b",
    re.IGNORECASE,
)
_GENERIC = frozenset(
    "specified specific various given certain provided user predefined selected defined "
    "several multiple different custom search event scene metadata current".split()
)
"""Words that name no kind of criteria (a search's own filters)."""
JUDGED_OPERATIONS = frozenset({"transition"})


def criteria_column(description: str) -> str | None:
    """The yes/no column a record judged "based on <kind> criteria" holds; None when no kind
    of criteria is named."""
    match = _BASED_ON.search(description or "")
    if match is None or match.group(1).lower() in _GENERIC:
        return None
    return f"meets_{match.group(1).lower()}_{match.group(2).lower()}"


def add_criteria_columns(plans: list, entities: Entities) -> None:
    """Give each entity that a transition judges against named criteria its yes/no column."""
    for plan in plans:
        decision = plan.decision
        if decision.operation not in JUDGED_OPERATIONS or decision.entity is None:
            continue
        column = criteria_column(plan.shape.spec.description)
        if column is None:
            continue
        draft = entities.drafts[decision.entity]
        if column not in draft.columns:
            kind = column.removeprefix("meets_").replace("_", " ")
            draft.column(column).add(
                {"type": "boolean"},
                f"Whether the {decision.entity.replace('_', ' ')} meets the {kind}.",
            )
