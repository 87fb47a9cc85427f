"""Records of the hand-labelled semantics of write tools, and :func:`load_labels`.

Two files follow these models (see ``bench/labels/README.md``):

- ``builtin_writes.yaml``: one label per write tool of the built-in catalog, keyed
  ``<vertical slug>/<tool name>``;
- ``external_writes.yaml``: one label per sampled write tool of the imported external pool,
  keyed by ToolSpec id, plus the ``skipped`` tools the draw passed as not writes.

A label says what the tool's description and schema state the service does: the entity whose row
it creates/changes/removes, the kind of effect, the status the row ends in, every entity whose rows
change, the preconditions the text states (``rules``) and the changes beyond the parameters'
direct assignment (``effects``). ``text`` fields quote the tool's description or one of its
parameter descriptions verbatim; several quoted fragments are joined with :data:`FRAGMENT_SEP`.
``implied`` effects are kept apart: the tool's text does not state them, a field definition of
the schema does (their ``text`` quotes that definition).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from agentscaler.errors import ConfigError

FRAGMENT_SEP = " ... "
"""Separator of verbatim fragments inside one ``text`` (each fragment is quoted as written)."""

Effect = Literal["create", "update", "transition", "delete", "action"]
RuleKind = Literal[
    "status", "sufficient", "ownership", "unique", "limit", "date", "exists", "other"
]
EffectKind = Literal["insert", "update", "increment", "decrement", "delete", "recompute"]
SkipReason = Literal["read", "compute", "other"]

_NAME = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$"


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Rule(_Strict):
    """A precondition the description (or a parameter description) states."""

    kind: RuleKind
    text: str = Field(min_length=3, description="the clause, quoted verbatim")
    entity: str | None = Field(
        default=None, pattern=_NAME, description="the row the rule is about (default: acted-on)"
    )
    column: str | None = Field(default=None, description="the field the rule reads")
    allowed: tuple[str, ...] = Field(default=(), description="status: values the row may be in")
    forbidden: tuple[str, ...] = Field(default=(), description="status: values it may not be in")
    owner: str | None = Field(default=None, description="ownership: the owning entity")
    on: tuple[str, ...] = Field(default=(), description="unique: the fields that must be unique")
    field: str | None = Field(default=None, description="limit: the bounded field or quantity")
    fields: tuple[str, ...] = Field(default=(), description="date: the dates/times compared")
    min: float | None = None
    max: float | None = None
    when: str | None = Field(default=None, description="the condition under which it applies")

    @model_validator(mode="before")
    @classmethod
    def _on_quoted(cls, data: object) -> object:
        if isinstance(data, dict) and True in data:
            raise ValueError('quote the key "on" (YAML reads a bare on: as the boolean true)')
        return data

    @model_validator(mode="after")
    def _complete(self) -> Rule:
        missing = {
            "status": not (self.allowed or self.forbidden),
            "sufficient": not (self.entity and self.column),
            "ownership": not self.owner,
            "unique": not self.on,
            "limit": not self.field or (self.min is None and self.max is None),
            "exists": not self.entity,
        }.get(self.kind, False)
        if missing:
            needs = {
                "status": "'allowed' or 'forbidden'",
                "sufficient": "'entity' and 'column'",
                "ownership": "'owner'",
                "unique": "'on'",
                "limit": "'field' and 'min' or 'max'",
                "exists": "'entity'",
            }[self.kind]
            raise ValueError(f"a '{self.kind}' rule needs {needs}")
        return self


class SideEffect(_Strict):
    """A change beyond the parameters' direct assignment on the acted-on row."""

    kind: EffectKind
    entity: str = Field(pattern=_NAME)
    column: str | None = None
    text: str = Field(min_length=3, description="the clause that states it, quoted verbatim")
    when: str | None = Field(default=None, description="the condition under which it happens")

    @model_validator(mode="after")
    def _column_when_needed(self) -> SideEffect:
        if self.kind in {"update", "increment", "decrement", "recompute"} and not self.column:
            raise ValueError(f"a '{self.kind}' effect needs the 'column' it changes")
        return self


class ToolLabel(_Strict):
    """The expected semantics of one write tool."""

    name: str = Field(min_length=1)
    entity: tuple[str, ...] = Field(min_length=1, description="acted-on entity, then synonyms")
    effect: Effect
    status_to: str | None = None
    writes: tuple[str, ...] = Field(min_length=1, description="every entity whose rows change")
    rules: tuple[Rule, ...] = ()
    effects: tuple[SideEffect, ...] = ()
    implied: tuple[SideEffect, ...] = Field(
        default=(),
        description=(
            "effects that only a field definition of the schema implies (e.g. a counter defined as "
            "'tickets currently assigned'), quoting that definition; not part of 'effects'"
        ),
    )
    notes: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> ToolLabel:
        if not set(self.entity) & set(self.writes):
            raise ValueError(
                f"'writes' {list(self.writes)} must name the entity {self.entity[0]!r}"
            )
        for effect in self.effects:
            if effect.entity not in self.writes:
                raise ValueError(
                    f"effect on {effect.entity!r} is missing from 'writes' {list(self.writes)}"
                )
        return self


class Skipped(_Strict):
    """A tool of the external draw judged not to be a write."""

    id: str = Field(pattern=r"^t[0-9a-f]{16}$")
    name: str
    reason: SkipReason


class LabelFile(_Strict):
    """``builtin_writes.yaml``: labels keyed ``<vertical slug>/<tool name>``."""

    version: Literal[1]
    labelled: dt.date
    tools: dict[str, ToolLabel]


class ExternalLabelFile(LabelFile):
    """``external_writes.yaml``: labels keyed by ToolSpec id, plus the tools passed as not writes."""

    skipped: tuple[Skipped, ...]


def load_labels(path: str | Path) -> LabelFile | ExternalLabelFile:
    """Read and validate a labels file; a file with a ``skipped`` list is an external one.

    Raises :class:`~agentscaler.errors.ConfigError` naming the file and the offending field.
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the labels file ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a labels file is a mapping with version, labelled and tools")
    model = ExternalLabelFile if "skipped" in data else LabelFile
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, err['loc']))}: {err['msg'].removeprefix('Value error, ')}"
            for err in exc.errors()[:5]
        )
        raise ConfigError(
            f"{path}: does not follow the labels format (bench/labels/schema.py): {problems}"
        ) from exc
