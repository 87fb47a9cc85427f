"""A local OpenAI-compatible server for tests, demos and benchmarks.

``with serve(ScriptedBrain(["hello"])) as base_url: ...`` answers chat completions from a
pluggable brain (see :mod:`agentscaler.llm.stub.brains`) with faults injected by a
:class:`FaultPlan` and real servers' deviations from OpenAI's format by a :class:`QuirkPlan`;
embeddings come from an :class:`EmbeddingPlan`.
aiohttp is imported only when a server starts.
"""

from agentscaler.llm.stub.brains import (
    Brain,
    BrainError,
    EchoBrain,
    FunctionBrain,
    RoutingBrain,
    RuleBrain,
    ScriptedBrain,
    ToolEchoBrain,
    load_brain,
    reply,
    tool_call,
)
from agentscaler.llm.stub.embeddings import EmbeddingPlan
from agentscaler.llm.stub.faults import Fault, FaultPlan
from agentscaler.llm.stub.quirks import QuirkPlan
from agentscaler.llm.stub.server import ServerStats, StubServer, serve

__all__ = [
    "Brain",
    "BrainError",
    "EchoBrain",
    "EmbeddingPlan",
    "Fault",
    "FaultPlan",
    "FunctionBrain",
    "QuirkPlan",
    "RoutingBrain",
    "RuleBrain",
    "ScriptedBrain",
    "ServerStats",
    "StubServer",
    "ToolEchoBrain",
    "load_brain",
    "reply",
    "serve",
    "tool_call",
]
