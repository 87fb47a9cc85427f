"""The exported dataset as training input: locating splits, loading them, checking rows."""

from __future__ import annotations

import json
from pathlib import Path

from agentscaler.errors import TrainingError


def resolve_data_dir(data: Path) -> Path:
    """The folder holding ``stage1/``: ``data`` itself or ``data/dataset``."""
    for candidate in (Path(data), Path(data) / "dataset"):
        if (candidate / "stage1").is_dir():
            return candidate
    raise TrainingError(
        f"{data} has no stage1/ folder (nor dataset/stage1/). Export a dataset first: "
        f"`agentscaler export RUN_DIR`, then pass RUN_DIR or RUN_DIR/dataset to --data."
    )


def split_file(data_dir: Path, split: str) -> Path:
    for name in ("data.parquet", "data.jsonl"):
        path = data_dir / split / name
        if path.is_file():
            return path
    raise TrainingError(
        f"{data_dir / split} has neither data.parquet nor data.jsonl. Re-run `agentscaler export` "
        "with --formats including parquet."
    )


def count_rows(path: Path) -> int:
    """Rows of an exported split file, read from its metadata (Parquet) or lines (JSON Lines)."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())


def load_split(data_dir: Path, split: str):
    """The split as a ``datasets.Dataset`` (straight from the exported file)."""
    from datasets import Dataset

    path = split_file(data_dir, split)
    if path.suffix == ".parquet":
        return Dataset.from_parquet(str(path))
    return Dataset.from_json(str(path))


def check_rows(dataset, tokenizer, split: str, count: int) -> int:
    """Check train flags everywhere and the template's masks on the first ``count`` rows."""
    from agentscaler.train.masks import check_mask

    for index, (messages, flags) in enumerate(
        zip(dataset["messages"], dataset["train"], strict=True)
    ):
        expected = [m["role"] == "assistant" for m in messages]
        if list(flags) != expected:
            raise TrainingError(
                f"{split} row {index}: its train flags differ from 'every assistant message, "
                "nothing else', which is what assistant-only loss trains on. Re-export the data."
            )
    supervised = 0
    for index in range(min(count, len(dataset))):
        row = dataset[index]
        tools = row.get("tools")
        if isinstance(tools, str):
            tools = json.loads(tools)
        report = check_mask(tokenizer, row["messages"], tools)
        report.raise_if_bad(f"{split} row {index}")
        supervised += report.supervised
    return supervised
