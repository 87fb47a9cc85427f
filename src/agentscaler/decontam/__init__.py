"""Decontamination: which tools and tasks of a run overlap the benchmarks it is evaluated on.

>>> from agentscaler.decontam import decontaminate
>>> report = decontaminate(Path("runs/demo"), ["../shared/external/bfcl"])
>>> report.tools_flagged, report.tasks_flagged

Tools are compared by signature (name and parameter names) and by embedded text; task intents
with benchmark questions by word n-grams and embeddings. ``decontam/report.json`` lists every
match with its scores; ``agentscaler export`` leaves the rows of flagged tasks out.
"""

from agentscaler.decontam.config import DecontamConfig
from agentscaler.decontam.report import (
    DecontamReport,
    TaskMatch,
    ToolMatch,
    read_report,
    report_path,
)
from agentscaler.decontam.run import decontaminate, match_intents, match_tools

__all__ = [
    "DecontamConfig",
    "DecontamReport",
    "TaskMatch",
    "ToolMatch",
    "decontaminate",
    "match_intents",
    "match_tools",
    "read_report",
    "report_path",
]
