"""Typed, frozen records exchanged between pipeline stages."""

from agentscaler.records.base import JsonValue, Record
from agentscaler.records.dataset import DatasetRow
from agentscaler.records.domain import DependencyEdge, Domain, DomainMember, DomainStats
from agentscaler.records.episode import (
    Episode,
    Message,
    PolicyInfo,
    Termination,
    ToolCall,
    ToolCallFunction,
    Usage,
)
from agentscaler.records.task import ArgumentSource, GoldCall, Task, UserFact
from agentscaler.records.tool import Provenance, ToolSpec
from agentscaler.records.verdict import RejectReason, Verdict
from agentscaler.records.world import (
    Column,
    ParamBinding,
    Relation,
    StateChange,
    Table,
    ToolBinding,
    World,
)

__all__ = [
    "ArgumentSource",
    "Column",
    "DatasetRow",
    "DependencyEdge",
    "Domain",
    "DomainMember",
    "DomainStats",
    "Episode",
    "GoldCall",
    "JsonValue",
    "Message",
    "ParamBinding",
    "PolicyInfo",
    "Provenance",
    "Record",
    "RejectReason",
    "Relation",
    "StateChange",
    "Table",
    "Task",
    "Termination",
    "ToolBinding",
    "ToolCall",
    "ToolCallFunction",
    "ToolSpec",
    "Usage",
    "UserFact",
    "Verdict",
    "World",
]
