"""Fixtures of the ingestion tests: small catalog files, the external pool, the metaschema."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).parent / "data"
EXTERNAL = Path(__file__).resolve().parents[2].parent / "shared" / "external"
EXTERNAL_SOURCES = ("bfcl", "seal-tools/tool.jsonl", "acebench/data_en")


def external_sources() -> list[str]:
    """The acceptance sources under ../shared/external (skip locally, fail under CI, if absent)."""
    missing = [s for s in EXTERNAL_SOURCES if not (EXTERNAL / s).exists()]
    if missing:
        message = (
            f"external test data {EXTERNAL / missing[0]} is missing "
            "(see ../shared/external/README.md)"
        )
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message + "; CI=true requires it")
        pytest.skip(message)
    return [str(EXTERNAL / s) for s in EXTERNAL_SOURCES]


@pytest.fixture(scope="session")
def external_root() -> Path:
    """``../shared/external`` (skip locally, fail under CI, when the acceptance data is absent)."""
    external_sources()
    return EXTERNAL


@pytest.fixture(scope="session")
def external_result():
    """The three external catalogs imported once per test session."""
    from agentscaler.ingest import import_sources

    return import_sources(external_sources())


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """``write("a.json", value)`` (JSON), ``write("a.jsonl", [v1, v2])`` (one per line), or text."""

    def _write(name: str, content: Any) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        elif name.endswith(".jsonl"):
            path.write_text("".join(json.dumps(v) + "\n" for v in content), encoding="utf-8")
        else:
            path.write_text(json.dumps(content, indent=2), encoding="utf-8")
        return path

    return _write


@pytest.fixture(scope="session")
def metaschema():
    """``metaschema(schema)`` raises unless ``schema`` is valid JSON Schema 2020-12."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(
        Draft202012Validator.META_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER
    )

    def check(schema: Any) -> None:
        validator.validate(schema)

    return check


def _tool(name: str, description: str = "Does something useful.", **properties: Any) -> dict:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": {k: v or {"type": "string"} for k, v in properties.items()},
                "required": list(properties)[:1],
            },
        },
    }


@pytest.fixture
def make_tool() -> Callable[..., dict]:
    """``make_tool("get_order", order_id=None)``: an OpenAI tool (None: a string parameter)."""
    return _tool
