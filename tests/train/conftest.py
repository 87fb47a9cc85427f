"""Shared training fixtures: the Qwen tokenizer, a tiny Qwen3 model, an exported dataset.

The tokenizer cache goes to a temporary folder of the test session, so tests never read or
write the user's cache.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest


def _export_builders():
    path = Path(__file__).resolve().parents[1] / "export" / "conftest.py"
    spec = importlib.util.spec_from_file_location("agentscaler_export_test_builders", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


builders = _export_builders()


@pytest.fixture(scope="session")
def tokenizer_cache(agentscaler_cache):
    return agentscaler_cache


@pytest.fixture(scope="session")
def qwen(tokenizer_cache):
    from agentscaler.train.tokenizer import build_qwen_tokenizer

    return build_qwen_tokenizer()


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, tokenizer_cache) -> Path:
    from agentscaler.train.tiny import create_tiny_model

    return create_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="session")
def exported(tmp_path_factory) -> Path:
    """A run folder exported with the flight domain as stage 2 and nothing held out."""
    from agentscaler.export.build import export_dataset
    from agentscaler.export.config import ExportConfig

    folder = builders.RunFolder(tmp_path_factory.mktemp("run") / "run")
    root = folder.populate(tasks_per_domain=4, rejected=0).write()
    export_dataset(root, ExportConfig(stage2_domains=("flight",), heldout_fraction=0.0))
    return root / "dataset"


@pytest.fixture
def chats():
    """Realistic conversations (OpenAI dicts) with their tools."""
    return [
        ([m.openai() for m in builders.retail_chat(3).messages], builders.RETAIL_TOOLS),
        ([m.openai() for m in builders.flight_chat(4).messages], builders.FLIGHT_TOOLS),
        ([m.openai() for m in builders.hotel_chat(5).messages], builders.HOTEL_TOOLS),
    ]


@pytest.fixture(scope="session")
def exported_without_stage2(tmp_path_factory) -> Path:
    """A run folder exported with no vertical domain chosen (empty stage 2)."""
    from agentscaler.export.build import export_dataset
    from agentscaler.export.config import ExportConfig

    folder = builders.RunFolder(tmp_path_factory.mktemp("run") / "run")
    root = folder.populate(tasks_per_domain=1, rejected=0).write()
    export_dataset(root, ExportConfig(heldout_fraction=0.0, stage2_auto=0))
    return root
