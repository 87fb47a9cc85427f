"""Berkeley Function Calling Leaderboard (BFCL) files.

* Test files (``BFCL_v4_*.json``, JSON Lines despite the suffix): each line has a ``function``
  list of tools (pointer ``/function/<i>``).
* ``multi_turn_func_doc/*.json``: one function per line, with ``response`` (its returns).

Function objects use BFCL's type names (``dict``, ``float``, ``tuple``, ``any``, and Java or
JavaScript names such as ``String``, ``HashMap``, ``ArrayList``); normalization maps them.
Files of gold answers (``possible_answer/``) and task files without tool schemas
(``BFCL_v4_multi_turn_base.json``) hold no tools and are skipped by the import.

Services (:mod:`agentscaler.ingest.services`): a file of bare function objects is one API class
(``class:<file stem>``); the tool list of a record with ``involved_classes`` (an ACEBench agent
scenario) is one scenario; the tool lists of other records (one test question each) are loose.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from agentscaler.ingest.config import IngestConfig
from agentscaler.ingest.loaders.base import Item, RawTool, items_of, not_a_tool, reject
from agentscaler.ingest.reading import Document
from agentscaler.ingest.refs import join
from agentscaler.ingest.rejects import RejectReason
from agentscaler.ingest.schema_walker import kind_of
from agentscaler.ingest.services import class_service, scenario_service
from agentscaler.records.tool import Dialect

_EXPECTED = 'a record with a "function" list, or a function object with a "name"'


def load(document: Document, config: IngestConfig) -> Iterator[Item]:
    yield from load_function_records(document, "bfcl")


def load_function_records(document: Document, dialect: Dialect) -> Iterator[Item]:
    """Tools of records holding a ``function`` list, or of bare function objects."""
    for index, pointer, value in items_of(document):
        if isinstance(value, dict) and "function" in value:
            classes = value.get("involved_classes")
            service = (
                scenario_service(document.source, classes)
                if isinstance(classes, list) and classes
                else None
            )
            functions = value["function"]
            if isinstance(functions, dict):
                functions, single = [functions], True
            else:
                single = False
            if not isinstance(functions, list):
                yield reject(
                    document,
                    index,
                    join(pointer, "function"),
                    RejectReason.NOT_A_TOOL,
                    f'"function" must be a list of function objects, got {kind_of(functions)}',
                )
                continue
            for i, function in enumerate(functions):
                where = join(pointer, "function") if single else join(pointer, "function", i)
                yield function_tool(document, index, where, function, dialect, service)
        else:
            service = class_service(document.source)
            yield function_tool(document, index, pointer, value, dialect, service)


def function_tool(
    document: Document,
    index: int | None,
    pointer: str,
    value: Any,
    dialect: Dialect,
    service: str | None = None,
) -> Item:
    """A RawTool from a BFCL-style function object.

    ``parameters`` (or ACEBench's ``arguments``) holds the parameters; ``response`` (or
    ``results``, ``returns``) the returns; ``tags`` (ACEBench) become ``category:`` tags.
    """
    if not isinstance(value, dict) or "name" not in value:
        return not_a_tool(document, index, pointer, value, _EXPECTED)
    parameters_key = (
        "parameters" if "parameters" in value or "arguments" not in value else "arguments"
    )
    returns_key = next((k for k in ("response", "results", "returns") if k in value), "response")
    tags = value.get("tags")
    category = (
        tuple(f"category:{t.strip()}" for t in tags if isinstance(t, str) and t.strip())
        if isinstance(tags, list)
        else ()
    )
    return RawTool(
        source=document.source,
        index=index,
        pointer=pointer,
        dialect=dialect,
        name=value.get("name"),
        description=value.get("description"),
        parameters=value.get(parameters_key),
        returns=value.get(returns_key),
        parameters_field="/" + parameters_key,
        returns_field="/" + returns_key,
        tags=category,
        service=service,
    )
