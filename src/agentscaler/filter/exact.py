"""Stage 3 of the filter: for read-only tasks, the calls must match the gold exactly."""

from __future__ import annotations

from collections import Counter
from typing import Any

from agentscaler.filter.calls import CallRecord, call_key
from agentscaler.filter.config import FilterConfig
from agentscaler.records import GoldCall


def match_gold(
    calls: list[CallRecord],
    gold: tuple[GoldCall, ...],
    schemas: dict[str, dict[str, Any]],
    config: FilterConfig,
) -> str | None:
    """None when the agent's (tool, arguments) sequence equals the gold, else what differs.

    Arguments are compared after normalization (types coerced to the tool's schema, declared
    defaults filled in, whitespace collapsed, key order ignored). By default only calls that
    succeeded are compared, so an episode that recovered from an error is kept; the gold holds only
    successful calls.
    """
    used = [c for c in calls if config.exact_include_failed_calls or not c.errored]
    got = [call_key(c.name, c.arguments or {}, schemas.get(c.name)) for c in used]
    want = [call_key(g.name, g.arguments, schemas.get(g.name)) for g in gold if g.error is None]
    if config.exact_order_insensitive:
        if Counter(got) == Counter(want):
            return None
        missing = list((Counter(want) - Counter(got)).elements())
        extra = list((Counter(got) - Counter(want)).elements())
        return f"calls differ as multisets; missing {missing[:2]}, extra {extra[:2]}"
    if got == want:
        return None
    for position, (a, b) in enumerate(zip(got, want, strict=False)):
        if a != b:
            return f"call {position + 1} is {a[:160]}, gold is {b[:160]}"
    if len(got) < len(want):
        return f"{len(want) - len(got)} gold call(s) missing, first: {want[len(got)][:160]}"
    return f"{len(got) - len(want)} extra call(s), first: {got[len(want)][:160]}"
