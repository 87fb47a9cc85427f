"""Base class of the typed, frozen records that cross stage boundaries."""

from __future__ import annotations

from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict

from agentscaler.canonical import canonical_json, content_hash
from agentscaler.errors import SchemaVersionError

JsonValue = Any
"""A JSON value (None, bool, int, float, str, list, dict with str keys)."""


class Record(BaseModel):
    """A frozen pydantic record that forbids unknown fields.

    Records that are written to disk as top-level lines carry a ``schema_version``; subclasses set
    :attr:`SCHEMA_VERSION` and declare ``schema_version: int = SCHEMA_VERSION``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    SCHEMA_VERSION: ClassVar[int | None] = None
    OLDER_VERSIONS: ClassVar[tuple[int, ...]] = ()
    """Earlier schema versions this release still reads (their records validate as they are)."""

    def to_json_dict(self) -> dict[str, Any]:
        """The record as plain JSON data (what is written to disk)."""
        return self.model_dump(mode="json")

    def canonical_json(self) -> str:
        return canonical_json(self.to_json_dict())

    def content_hash(self, *, length: int = 64, exclude: set[str] | None = None) -> str:
        data = self.model_dump(mode="json", exclude=exclude)
        return content_hash(data, length=length)

    @classmethod
    def from_json_dict(cls, data: dict[str, Any], *, where: str = "") -> Self:
        """Validate ``data``, refusing a foreign ``schema_version`` with a clear message."""
        expected = cls.SCHEMA_VERSION
        if expected is not None and isinstance(data, dict):
            found = data.get("schema_version", expected)
            if not cls.reads_version(found):
                raise cls.schema_version_error(found, where)
        return cls.model_validate(data)

    @classmethod
    def reads_version(cls, version: Any) -> bool:
        """True when this release reads records of this type written with ``version``."""
        return version == cls.SCHEMA_VERSION or version in cls.OLDER_VERSIONS

    @classmethod
    def schema_version_error(cls, found: Any, where: str = "") -> SchemaVersionError:
        """The error for a record of this type written with schema_version ``found``."""
        at = f" ({where})" if where else ""
        readable = sorted({*cls.OLDER_VERSIONS, cls.SCHEMA_VERSION or 0})
        versions = " or ".join(str(v) for v in readable)
        return SchemaVersionError(
            f"{cls.__name__} record{at} has schema_version {found!r}, but this release of "
            f"agentscaler reads version {versions}. Re-run the stage that wrote it with "
            "this release, or install the agentscaler release that wrote it."
        )
