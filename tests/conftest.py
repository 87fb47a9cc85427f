"""Shared fixtures: the external reference data, temporary run folders, CLI runner."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before anything imports torch
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
EXTERNAL = REPO_ROOT.parent / "shared" / "external"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def external_path(relative: str) -> Path:
    """Path of a file under ../shared/external; skip locally, fail under CI=true, when absent."""
    path = EXTERNAL / relative
    if not path.exists():
        message = f"external test data {path} is missing (see ../shared/external/README.md)"
        if IN_CI:
            pytest.fail(message + "; CI=true requires it")
        pytest.skip(message)
    return path


@pytest.fixture
def external():
    """Callable fixture: ``external("bfcl/BFCL_v4_simple_python.json")`` -> Path."""
    return external_path


@pytest.fixture
def cli():
    """Invoke the agentscaler CLI in-process: ``cli("tools", "stats", "builtin")`` -> Result."""
    from typer.testing import CliRunner

    from agentscaler.cli.app import app

    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)

    return invoke
