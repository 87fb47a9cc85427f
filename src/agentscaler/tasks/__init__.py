"""Task synthesis: diverse initial states, directed walks, executed gold chains and intents.

>>> from agentscaler.tasks import TaskConfig, sample_tasks
>>> result = sample_tasks(Workspace("runs/demo"), TaskConfig(per_domain=20))  # doctest: +SKIP

Modules, in pipeline order: :mod:`~agentscaler.tasks.states` (seeded initial states stored by
hash), :mod:`~agentscaler.tasks.walks` (the dependency graph and walk rules),
:mod:`~agentscaler.tasks.grounding` (arguments with provenance), :mod:`~agentscaler.tasks.execute`
(executed chains, replay), :mod:`~agentscaler.tasks.facts` (user facts vs agent lookups),
:mod:`~agentscaler.tasks.intent` and :mod:`~agentscaler.tasks.rewrite` (template and LLM intents),
:mod:`~agentscaler.tasks.synthesize` (one domain), :mod:`~agentscaler.tasks.sample` (the stage),
:mod:`~agentscaler.tasks.summary`. Names are imported on first use, so importing the package
(or its config) loads nothing else.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentscaler.tasks.config import TaskConfig
    from agentscaler.tasks.execute import replay
    from agentscaler.tasks.sample import SampleResult, load_tasks, sample_tasks
    from agentscaler.tasks.summary import summarize
    from agentscaler.tasks.synthesize import DomainResult, synthesize_domain

_EXPORTS = {
    "DomainResult": "agentscaler.tasks.synthesize",
    "SampleResult": "agentscaler.tasks.sample",
    "TaskConfig": "agentscaler.tasks.config",
    "load_tasks": "agentscaler.tasks.sample",
    "replay": "agentscaler.tasks.execute",
    "sample_tasks": "agentscaler.tasks.sample",
    "summarize": "agentscaler.tasks.summary",
    "synthesize_domain": "agentscaler.tasks.synthesize",
}

__all__ = [
    "DomainResult",
    "SampleResult",
    "TaskConfig",
    "load_tasks",
    "replay",
    "sample_tasks",
    "summarize",
    "synthesize_domain",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agentscaler.tasks' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
