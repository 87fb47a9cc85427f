"""``decontam/report.json``: every overlap found with a benchmark, its score, and what it flags."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

from agentscaler.jsonl import read_json
from agentscaler.records.base import Record

REPORT_DIR = "decontam"
REPORT_NAME = "report.json"


class ToolMatch(Record):
    """A tool of the run near a benchmark tool."""

    tool_id: str
    name: str
    benchmark_tool_id: str
    benchmark_name: str
    benchmark_source: str
    """``file:line`` (or index) where the benchmark tool was read."""
    kind: Literal["exact", "renamed", "signature", "description"]
    """exact: the same name and parameter names (up to case and separators); renamed: the
    benchmark name's words kept (a prefix, suffix or vendor added) with the same parameters;
    signature: a near signature; description: a near embedded text with most parameter names
    shared."""
    signature: float
    name_similarity: float
    parameter_similarity: float
    description: float
    """Cosine of the embedded tool texts."""


class TaskMatch(Record):
    """A task of the run flagged by its intent or by a flagged tool it calls."""

    task_id: str
    domain_id: str
    reason: Literal["intent", "tool"]
    intent: str
    question_id: str | None = None
    question: str | None = None
    ngram: float | None = None
    """Share of the question's word n-grams found in the intent."""
    embedding: float | None = None
    """Cosine of the embedded intent and question."""
    tools: tuple[str, ...] = ()
    """Flagged tools the task's gold calls use (reason ``tool``)."""


class DecontamReport(Record):
    SCHEMA_VERSION: ClassVar[int] = 1

    schema_version: int = 1
    against: tuple[str, ...]
    embedder: str
    settings: dict[str, Any]
    benchmark_tools: int
    benchmark_questions: int
    tools_checked: int
    tools_flagged: int
    tools_exact: int
    tasks_checked: int
    tasks_flagged: int
    tasks_by_intent: int
    tasks_by_tool: int
    kept_episodes: int
    """Episodes kept by the filter (0 when the filter has not run)."""
    kept_episodes_flagged: int
    """Kept episodes of flagged tasks: the rows ``agentscaler export`` leaves out."""
    tool_matches: tuple[ToolMatch, ...] = ()
    task_matches: tuple[TaskMatch, ...] = ()
    flagged_tasks: tuple[str, ...] = ()


def report_path(root: Path) -> Path:
    return Path(root) / REPORT_DIR / REPORT_NAME


def read_report(root: Path) -> DecontamReport | None:
    """The decontamination report of run folder ``root`` (None when decontam has not run)."""
    path = report_path(root)
    if not path.exists():
        return None
    return DecontamReport.from_json_dict(read_json(path), where=str(path))
