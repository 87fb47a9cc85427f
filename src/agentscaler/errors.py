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


class UsageError(ConfigError):
    """A command was called wrongly: an option value out of range, options that exclude each
    other, a missing one (the CLI exits with status 2)."""


class RunFolderError(AgentscalerError):
    """A run folder is missing a stage's output, is corrupt, or was written by another version."""


class RunFolderBusy(RunFolderError):
    """Another process holds the run folder's lock; the message names it."""


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


class CatalogError(IngestError):
    """A vertical file of the built-in catalog (or one written in its format) is malformed."""


class RecordRejected(ToolSchemaError):
    """One tool record cannot be normalized; ingestion turns it into a reject and goes on.

    ``reason`` is a reject reason code (``agentscaler.ingest.RejectReason``) and ``field`` the JSON
    pointer of the offending field inside the record (e.g. ``/parameters/properties/unit/type``).
    """

    def __init__(self, message: str, *, reason: str, field: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.field = field


# --- graph and domains --------------------------------------------------------------------------


class GraphError(AgentscalerError):
    """Domain discovery cannot proceed on this input (e.g. an empty pool)."""


# --- worlds -------------------------------------------------------------------------------------


class WorldError(AgentscalerError):
    """A world cannot be compiled, loaded or run."""


class SpecError(WorldError):
    """A world spec (``spec.yaml``) is malformed; the message names the file, tool and field."""


class DataImportError(WorldError):
    """A user's data cannot be imported as a world; the message names the path in the data."""


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
    """The call is valid but the current state forbids it (e.g. cancelling a shipped order).

    ``rule`` names the world-spec rule that failed, when one did.
    """

    code = "precondition_failed"

    def __init__(self, message: str, *, rule: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule


class InvalidArgument(ToolError):
    """An argument is missing, unexpected or of the wrong type; the message names it."""

    code = "invalid_argument"


class UnknownTool(ToolError):
    """The call names a tool the world does not have."""

    code = "unknown_tool"


class LimitExceeded(ToolError):
    """The call ran past its time or memory budget and was stopped; nothing was changed."""

    code = "limit_exceeded"


# --- tasks, simulation, filtering, training -----------------------------------------------------


class TaskError(AgentscalerError):
    """Task synthesis cannot proceed for a world."""


class LLMError(AgentscalerError):
    """An LLM server could not be reached or answered unusably after retries."""


class LLMResponseError(LLMError):
    """The server answered, but the answer cannot be used (e.g. no choices)."""


class LLMRequestError(LLMError):
    """A request failed for good after the client's retries.

    ``status`` is the last HTTP status (None when no response came back) and ``attempts`` the
    number of HTTP attempts made, retries included.
    """

    def __init__(self, message: str, *, status: int | None = None, attempts: int = 1) -> None:
        super().__init__(message)
        self.status = status
        self.attempts = attempts


class LLMTimeout(LLMRequestError):
    """Every attempt timed out (client deadline or HTTP 408)."""


class LLMRateLimited(LLMRequestError):
    """The server kept answering HTTP 429 (rate limited)."""


class LLMServerError(LLMRequestError):
    """The server kept answering HTTP 5xx."""


class LLMConnectionError(LLMRequestError):
    """The server could not be reached (connection refused, reset or closed)."""


class LLMRequestRejected(LLMRequestError):
    """The server refused the request with a 4xx other than 408/429 (bad model, key or input)."""


class LLMTruncated(LLMError):
    """The model's answer was cut at the token limit (``finish_reason == "length"``), also when
    asked again with a larger budget: the model's failure, never a turn to train on.

    ``usage`` is the :class:`~agentscaler.records.Usage` of the requests spent on the turn.
    """

    def __init__(self, message: str, *, usage: object = None) -> None:
        super().__init__(message)
        self.usage = usage


class SimulationError(AgentscalerError):
    """The simulation stage cannot proceed."""


class ShardsFailedError(AgentscalerError):
    """Shards of a stage failed (raised, or lost their Ray worker on every attempt); the run
    folder keeps what finished.

    ``failures`` holds the :class:`~agentscaler.execution.base.ShardFailure` records.
    """

    def __init__(self, message: str, failures: list | None = None) -> None:
        super().__init__(message)
        self.failures = list(failures or [])


class FilterError(AgentscalerError):
    """Verification or filtering cannot proceed."""


class TrainingError(AgentscalerError):
    """Training cannot proceed (missing data, model, or extras)."""


class EvaluationError(AgentscalerError):
    """Metrics or the report cannot be computed from the given input."""


class EnvError(AgentscalerError):
    """An RL environment was used wrongly (bad action shape, a step after the episode ended)."""


class EpisodeEnded(EnvError):
    """``step`` was called after the episode terminated or was truncated."""


class SessionError(EnvError):
    """A served session cannot be used: it does not exist, it expired, or the server is full."""

    status = 400


class UnknownSession(SessionError):
    status = 404


class SessionExpired(SessionError):
    status = 410


class ServerBusy(SessionError):
    status = 503
