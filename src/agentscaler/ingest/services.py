"""The service each imported tool belongs to: what its catalog grouped it with.

Real catalogs come grouped by service, and domain discovery keeps a service's tools in one
domain (:mod:`agentscaler.graph.units`). A service is named ``<kind>:<name>``:

* ``vertical:<slug>``: a vertical of the built-in catalog (or a vertical file in its format);
* ``class:<file stem>``: a file of bare function objects in BFCL's dialect, one API class per
  file (``multi_turn_func_doc/gorilla_file_system.json``);
* ``scenario:<file stem>:<classes>``: the tool list of an ACEBench agent scenario, named by its
  ``involved_classes`` (scenarios listing the same tools share the service of the first one);
* ``mcp:<file>``, ``openapi:<file>``, ``openai:<file>``: one MCP ``tools/list`` result, one
  OpenAPI spec, one OpenAI tool file (the file as given on the command line);
* none: loose tools, which no file groups: the per-question tool lists of benchmark test files
  (BFCL, ACEBench) and the Seal-Tools corpus.

A tool read in several places keeps the first service found in reading order; pools written by
``agentscaler tools import`` keep the service of each record.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath


def file_service(kind: str, source: str) -> str:
    """The service of a whole file: ``mcp:specs/github.json``."""
    return f"{kind}:{source}"


def class_service(source: str) -> str:
    """The API class of a file of function objects (its file name without suffix)."""
    return f"class:{PurePath(source).stem}"


def scenario_service(source: str, classes: Iterable[str]) -> str:
    """The service of a benchmark scenario's tool list, named by its classes."""
    names = sorted({str(c) for c in classes if str(c).strip()})
    return f"scenario:{PurePath(source).stem}:{'+'.join(names) or 'tools'}"


def vertical_service(slug: str) -> str:
    return f"vertical:{slug}"


def service_title(service: str) -> str:
    """What a service is called in a sentence: ``vertical:real_estate`` -> "real estate",
    ``class:GorillaFileSystem`` -> "gorilla file system", a scenario by its classes."""
    from agentscaler.naming import spoken

    kind, _, name = service.partition(":")
    if kind == "scenario":
        name = name.partition(":")[2] or name
        return " and ".join(spoken(part) for part in name.split("+") if part) or name
    return spoken(service_label(service))


def main_service(services: Iterable[str | None], share: float = 0.8) -> str | None:
    """The service at least ``share`` of the tools come from, or None (a mixed domain)."""
    named = list(services)
    counts: dict[str, int] = {}
    for service in named:
        if service:
            counts[service] = counts.get(service, 0) + 1
    if not counts:
        return None
    service = max(sorted(counts), key=counts.__getitem__)
    return service if counts[service] >= share * len(named) else None


def service_label(service: str | None) -> str:
    """A short readable name of a service (``gorilla_file_system``, ``retail_orders``)."""
    if not service:
        return "loose tools"
    kind, _, name = service.partition(":")
    if kind in {"mcp", "openapi", "openai"}:
        return PurePath(name).stem or name
    return name.replace(":", " ") or service
