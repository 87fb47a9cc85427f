"""From a :class:`RawTool` to a normalized variant (name, description, schemas, id), or a reject.

Identical raw tools (benchmarks repeat the same schema hundreds of times) are normalized once.
A record that breaks normalization in an unexpected way is rejected as ``internal_error`` with
the traceback in the log: the import goes on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from agentscaler.errors import RecordRejected
from agentscaler.ingest.config import IngestConfig
from agentscaler.ingest.loaders.base import RawTool, from_error
from agentscaler.ingest.names import openai_name
from agentscaler.ingest.normalize import (
    SELF,
    normalize_description,
    normalize_parameters,
    normalize_returns,
)
from agentscaler.ingest.reading import Document
from agentscaler.ingest.refs import join
from agentscaler.ingest.rejects import Reject, RejectReason, rejected
from agentscaler.ingest.schema_walker import kind_of
from agentscaler.records.tool import Provenance, ToolSpec

log = logging.getLogger(__name__)

_Normalized = tuple[str, str, dict[str, Any], dict[str, Any] | None, str]


@dataclass(frozen=True, slots=True)
class Variant:
    """One normalized tool as read at one place (before merging)."""

    id: str
    name: str
    description: str
    parameters: dict[str, Any]
    returns: dict[str, Any] | None
    provenance: tuple[Provenance, ...]
    tags: tuple[str, ...]
    service: str | None
    origin: str
    """The source argument it came from."""
    seq: int
    """Position in reading order (for deterministic merging)."""


class ToolBuilder:
    """Normalizes RawTools, remembering results for identical input."""

    def __init__(self, config: IngestConfig) -> None:
        self.config = config
        self._memo: dict[str, _Normalized | RecordRejected] = {}
        self._validator: Any = None
        self._seq = 0

    def build(self, raw: RawTool, origin: str) -> Variant | Reject:
        key = self._key(raw)
        result = self._memo.get(key) if key is not None else None
        if result is None:
            result = self._normalize_safely(raw)
            if key is not None:
                self._memo[key] = result
        if isinstance(result, RecordRejected):
            document = Document(raw.source, "json")
            return from_error(document, raw.index, raw.pointer, result, tool=raw.name)
        name, description, parameters, returns, tool_id = result
        provenance = raw.provenance or (
            Provenance(
                source=raw.source,
                index=raw.index,
                pointer=raw.pointer,
                dialect=raw.dialect,
                original_name=raw.original_name(),
            ),
        )
        self._seq += 1
        return Variant(
            id=tool_id,
            name=name,
            description=description,
            parameters=parameters,
            returns=returns,
            provenance=provenance,
            tags=raw.tags,
            service=raw.service,
            origin=origin,
            seq=self._seq,
        )

    @staticmethod
    def _key(raw: RawTool) -> str | None:
        """A cache key for identical raw tools (``repr`` is exact for JSON data, and fast)."""
        if raw.ref_root is not SELF:
            return None
        try:
            return repr(
                (
                    raw.name,
                    raw.description,
                    raw.parameters,
                    raw.returns,
                    raw.properties_map,
                    raw.required,
                    raw.name_field,
                    raw.description_field,
                    raw.parameters_field,
                    raw.returns_field,
                    raw.required_field,
                )
            )
        except RecursionError:
            return None

    def _normalize_safely(self, raw: RawTool) -> _Normalized | RecordRejected:
        try:
            return self._normalize(raw)
        except RecordRejected as error:
            return error
        except RecursionError:
            return rejected(RejectReason.TOO_COMPLEX, "", "the tool is nested too deeply to read")
        except Exception as exc:  # a bug must not stop a 30,000-tool import
            log.warning(
                "%s:%s %s: unexpected error while normalizing (tool rejected as internal_error)",
                raw.source,
                raw.index,
                raw.pointer,
                exc_info=True,
            )
            return rejected(
                RejectReason.INTERNAL_ERROR,
                "",
                f"unexpected {type(exc).__name__} while normalizing: {exc}; please report it",
            )

    def _normalize(self, raw: RawTool) -> _Normalized:
        if not isinstance(raw.name, str) or not raw.name.strip():
            problem = "is empty" if isinstance(raw.name, str) else f"is {kind_of(raw.name)}"
            raise rejected(
                RejectReason.MISSING_NAME,
                raw.name_field,
                f"the tool's name {problem}; give it a name",
            )
        name = openai_name(raw.name.strip())
        description = normalize_description(raw.description, raw.description_field)
        limit = self.config.max_description_chars
        if len(description) > limit:
            raise rejected(
                RejectReason.TOO_LARGE,
                raw.description_field,
                f"the description is {len(description):,} characters long, over the limit of "
                f"{limit:,} (IngestConfig.max_description_chars); shorten it",
            )
        parameters = normalize_parameters(
            raw.parameters,
            field=raw.parameters_field,
            root=raw.ref_root,
            properties_map=raw.properties_map,
            required=raw.required,
            required_field=raw.required_field,
            config=self.config,
        )
        count = len(parameters.get("properties") or {})
        if count > self.config.max_parameters:
            raise rejected(
                RejectReason.TOO_LARGE,
                raw.parameters_field,
                f"the tool has {count:,} parameters, over the limit of "
                f"{self.config.max_parameters:,} (IngestConfig.max_parameters); split it",
            )
        returns = normalize_returns(
            raw.returns,
            field=raw.returns_field,
            root=raw.ref_root,
            properties_map=raw.properties_map,
            config=self.config,
        )
        if self.config.check_schemas:
            self._check(parameters, raw.parameters_field)
            if returns is not None:
                self._check(returns, raw.returns_field)
        try:
            tool_id = ToolSpec.compute_id(name, description, parameters, returns)
        except (TypeError, ValueError) as exc:
            raise rejected(
                RejectReason.INVALID_FIELD,
                "",
                f"the tool holds a value JSON cannot represent (NaN, Infinity, ...): {exc}",
            ) from None
        return name, description, parameters, returns, tool_id

    def _check(self, schema: dict[str, Any], field: str) -> None:
        if self._validator is None:
            from jsonschema import Draft202012Validator

            self._validator = Draft202012Validator(
                Draft202012Validator.META_SCHEMA,
                format_checker=Draft202012Validator.FORMAT_CHECKER,
            )
        from jsonschema.exceptions import best_match

        error = best_match(self._validator.iter_errors(schema))
        if error is not None:
            where = join(field, *error.absolute_path)
            raise rejected(
                RejectReason.INVALID_SCHEMA,
                where,
                f"the normalized schema is not valid JSON Schema 2020-12: {error.message}",
            )
