"""The built-in catalog: realistic tools of everyday verticals, the default input of a run.

>>> from agentscaler.catalog import builtin_tools, verticals
>>> tools = builtin_tools()      # list[ToolSpec], deterministic order, parsed once per process

Each vertical is one YAML file under ``verticals/`` (format: :mod:`agentscaler.catalog.format`).
Tools carry the tags ``vertical:<slug>``, ``kind:read|write`` and, where they act on one record
type, ``entity:<name>``; provenance has source ``builtin`` and pointer
``verticals/<file>#<tool>``. Nothing is read until a function is called.
"""

from agentscaler.catalog.loader import (
    builtin_tools,
    load_vertical,
    load_verticals,
    read_vertical,
    vertical_tools,
    verticals,
)

__all__ = [
    "builtin_tools",
    "load_vertical",
    "load_verticals",
    "read_vertical",
    "vertical_tools",
    "verticals",
]
