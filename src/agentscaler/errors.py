"""The one exception tree of agentscaler.

Every error the package raises on purpose derives from :class:`AgentscalerError`. Messages name
the record (file, line, field, tool, task) and say how to fix the problem.

Tool-level *domain* errors (:class:`ToolError` and subclasses) are the errors a world returns to
the agent as an observation; everything else is a bug or bad input and never reaches an agent.
"""

from __future__ import annotations


class AgentscalerError(Exception):
    """Base class of every error raised by agentscaler."""


# --- configuration, files and run folders -------------------------------------------------------


class ConfigError(AgentscalerError):
    """An option, config file or environment setting is invalid."""


class RunFolderError(AgentscalerError):
    """A run folder is missing a stage's output, is corrupt, or was written by another version."""


class CorruptRecordError(RunFolderError):
    """A line of a records file cannot be parsed or validated."""


class SchemaVersionError(RunFolderError):
    """A record was written with a schema version this release cannot read."""


class MissingDependencyError(AgentscalerError):
    """An optional dependency (extra) needed for the requested feature is not installed."""


# --- ingestion ----------------------------------------------------------------------------------


class IngestError(AgentscalerError):
    """A tool record or a catalog file cannot be imported."""


class SourceFileError(IngestError):
    """A whole catalog file cannot be read (not JSON/YAML, unknown format)."""


class ToolSchemaError(IngestError):
    """One tool record is malformed; the message names file, index and field."""


# --- graph and domains --------------------------------------------------------------------------


class GraphError(AgentscalerError):
    """Domain discovery cannot proceed on this input (e.g. an empty pool)."""


# --- worlds -------------------------------------------------------------------------------------


class WorldError(AgentscalerError):
    """A world cannot be compiled, loaded or run."""


class UnsafeCodeError(WorldError):
    """Tool code was refused by the safety check; the message names the offending line."""


class WorldBugError(WorldError):
    """Tool code raised an unexpected exception: a bug in the world, never shown to an agent."""


class ToolTimeoutError(WorldBugError):
    """Tool code exceeded its time limit."""


class ToolError(AgentscalerError):
    """A domain error returned to the agent as an error observation."""

    code = "tool_error"


class NotFound(ToolError):
    """The record the call refers to does not exist."""

    code = "not_found"


class PreconditionFailed(ToolError):
    """The call is valid but the current state forbids it (e.g. cancelling a shipped order)."""

    code = "precondition_failed"


class InvalidArgument(ToolError):
    """An argument is missing, unexpected or of the wrong type; the message names it."""

    code = "invalid_argument"


class UnknownTool(ToolError):
    """The call names a tool the world does not have."""

    code = "unknown_tool"


# --- tasks, simulation, filtering, training -----------------------------------------------------


class TaskError(AgentscalerError):
    """Task synthesis cannot proceed for a world."""


class LLMError(AgentscalerError):
    """An LLM server could not be reached or answered unusably after retries."""


class LLMResponseError(LLMError):
    """The server answered, but the answer cannot be used (e.g. no choices)."""


class SimulationError(AgentscalerError):
    """The simulation stage cannot proceed."""


class FilterError(AgentscalerError):
    """Verification or filtering cannot proceed."""


class TrainingError(AgentscalerError):
    """Training cannot proceed (missing data, model, or extras)."""


class EvaluationError(AgentscalerError):
    """Metrics or the report cannot be computed from the given input."""
