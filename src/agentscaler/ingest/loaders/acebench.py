"""ACEBench data files (``data_en/data_*.json``, JSON Lines).

Each line has a ``function`` list in a BFCL-like dialect: ``parameters`` (``type: dict`` or
``object``), or ``arguments`` with ``results`` (the returns) and ``tags`` (kept as ``category:``
tags). Gold answers (``possible_answer/``) are skipped by the import.
"""

from __future__ import annotations

from collections.abc import Iterator

from agentscaler.ingest.config import IngestConfig
from agentscaler.ingest.loaders.base import Item
from agentscaler.ingest.loaders.bfcl import load_function_records
from agentscaler.ingest.reading import Document


def load(document: Document, config: IngestConfig) -> Iterator[Item]:
    yield from load_function_records(document, "acebench")
