"""`agentscaler run` then `agentscaler train --tiny` with no other flag, as a new user runs them;
every row accounted for, and the masks of 100 sampled rows checked token by token against
rendering each prefix with Qwen3's official template."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

SMALL_RUN = ("--embedder", "hash", "--per-domain", "4")
"""A small offline run: the hashing embedder and four tasks per domain (over 100 training rows)."""


def _cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "agentscaler.cli.app", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=1500,
    )


def _official_template() -> str:
    import trl

    return (Path(trl.__file__).parent / "chat_templates" / "qwen3.jinja").read_text("utf-8")


def _verify(tokenizer, template, messages, tools, examples) -> int:
    """Assert every example against plain rendering of each prefix; the supervised tokens."""
    messages = [{k: v for k, v in m.items() if v is not None} for m in messages]

    def tokens(upto, prompt):
        text = tokenizer.apply_chat_template(
            messages[:upto], tools=tools, chat_template=template, tokenize=False,
            add_generation_prompt=prompt,
        )  # fmt: skip
        return tokenizer(text, add_special_tokens=False)["input_ids"]

    supervised = 0
    for example in examples:
        ids, mask = example.input_ids.tolist(), example.mask.tolist()
        expected = [0] * len(ids)
        for index in example.turns:
            prompt, full = tokens(index, True), tokens(index + 1, False)
            assert ids[: len(full)] == full
            expected[len(prompt) : len(full)] = [1] * (len(full) - len(prompt))
        assert len(ids) == len(full)
        assert mask == expected
        supervised += sum(mask)
    return supervised


@pytest.mark.slow
def test_run_then_train_with_the_defaults(tmp_path):
    from transformers import AutoTokenizer

    from agentscaler.export.writers import read_rows
    from agentscaler.train.masks import ChatEncoder, row_examples

    run = tmp_path / "demo"
    done = _cli("run", "--out", run, *SMALL_RUN)
    assert done.returncode == 0, done.stderr[-3000:]
    manifest = json.loads((run / "dataset" / "manifest.json").read_text("utf-8"))
    assert manifest["stage2_auto"] and len(manifest["stage2_domains"]) == 3
    assert manifest["splits"]["stage2"]["rows"] > 0
    assert manifest["lengths"]["measured"]

    out = tmp_path / "ckpt"
    done = _cli("train", "--tiny", "--data", run / "dataset", "--out", out)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["chat_template"] == "qwen3-official" and summary["skipped"] == {}
    assert [stage["name"] for stage in summary["stages"]] == ["stage1", "stage2"]
    for stage in summary["stages"]:
        data = stage["data"]
        assert stage["rows"] == manifest["splits"][stage["name"]]["rows"]
        assert data["rows"] == data["trained_rows"] + sum(data["dropped"].values())
        assert data["trained_rows"] > 0 and stage["steps"] > 0
        assert stage["first_loss"] is not None
    # a random model learns something in ten steps at the --tiny default rate: the loss goes down
    first = summary["stages"][0]
    assert first["last_loss"] < first["first_loss"] - 0.1, first

    # the checkpoint carries Qwen3's official template, and the examples trained on are exactly
    # those rendered with it
    official = _official_template()
    tokenizer = AutoTokenizer.from_pretrained(out / "stage1", local_files_only=True)
    assert tokenizer.chat_template == official
    encoder = ChatEncoder(tokenizer, tokenizer.chat_template)
    rows = list(read_rows(run / "dataset" / "stage1" / "data.parquet"))
    made = [row_examples(encoder, r.openai_messages(), list(r.tools), r.train, 4096) for r in rows]
    first = summary["stages"][0]["data"]
    assert sum(len(m.examples) for m in made) == first["examples"]
    assert sum(m.drop is None for m in made) == first["trained_rows"]

    sample = random.Random(0).sample(range(len(rows)), 100)
    turns = supervised = 0
    for index in sample:
        row = rows[index]
        supervised += _verify(
            tokenizer, official, row.openai_messages(), list(row.tools), made[index].examples
        )
        turns += made[index].trained_turns
    assert turns >= 100 and supervised > 100 * 20
