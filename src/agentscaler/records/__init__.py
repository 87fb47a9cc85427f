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
from agentscaler.records.task import (
    ArgumentSource,
    CommunicatedFact,
    GoldCall,
    Persona,
    RequestedCall,
    Task,
    TaskGoal,
    UserFact,
)
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
    "CommunicatedFact",
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
    "Persona",
    "PolicyInfo",
    "Provenance",
    "Record",
    "RejectReason",
    "Relation",
    "RequestedCall",
    "StateChange",
    "Table",
    "Task",
    "TaskGoal",
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
