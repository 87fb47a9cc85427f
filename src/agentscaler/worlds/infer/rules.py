"""Rules stated in tool descriptions, as spec rules (a grammar over sentences)."""

from __future__ import annotations

from typing import Any

from agentscaler.worlds.spec.model import SpecRule


def rules_for(
    shape: Any,
    entity: str | None,
    main: str | None,
    tables: dict[str, Any],
    by_table: dict[str, str],
    *,
    existing: list[SpecRule],
) -> list[SpecRule]:
    """Rules a tool's description states beyond ``existing`` ones."""
    return []
