"""The exported Parquet trains with TRL's own SFTTrainer, untouched, on a tiny Qwen3 model that
carries Qwen3's official template: no row is lost, and TRL supervises the final turn exactly as
agentscaler's examples do."""

from __future__ import annotations

import json
import math

import pytest


def _runs(labels):
    """Runs of consecutive supervised label values."""
    runs, current = [], []
    for label in labels:
        if label == -100:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(label)
    if current:
        runs.append(current)
    return runs


@pytest.mark.slow
def test_exported_parquet_trains_two_steps_with_plain_sft_trainer(exported, tiny_model, tmp_path):
    import datasets
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    from agentscaler.export.config import DEFAULT_MAX_TOKENS
    from agentscaler.train.masks import ChatEncoder, row_examples

    dataset = datasets.load_dataset(
        "parquet", data_files=str(exported / "stage1" / "*.parquet"), split="train"
    )
    tokenizer = AutoTokenizer.from_pretrained(tiny_model, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(tiny_model, local_files_only=True)
    args = SFTConfig(
        output_dir=str(tmp_path / "trl"),
        assistant_only_loss=True,
        max_steps=2,
        per_device_train_batch_size=2,
        max_length=DEFAULT_MAX_TOKENS,
        learning_rate=1e-3,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        use_cpu=True,
        disable_tqdm=True,
        gradient_checkpointing=False,
    )
    trainer = SFTTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer)

    prepared = trainer.train_dataset
    assert len(prepared) == len(dataset) > 0, "TRL dropped rows"
    encoder = ChatEncoder(tokenizer, tokenizer.chat_template)
    for index in range(len(dataset)):
        row = dataset[index]
        labels = prepared[index]["labels"]
        assert len(prepared[index]["input_ids"]) <= DEFAULT_MAX_TOKENS
        ours = row_examples(
            encoder, row["messages"], json.loads(row["tools"]), row["train"], DEFAULT_MAX_TOKENS
        )
        assert ours.drop is None
        # TRL's training variant of the template emits the think block of every turn, so its
        # last supervised run (the final turn, whose prompt is the same) equals our last reply
        last = ours.examples[-1]
        reply = last.input_ids[last.mask.astype(bool)].tolist()
        assert _runs(labels)[-1] == reply
        assert len(_runs(labels)) == sum(m["role"] == "assistant" for m in row["messages"])

    trainer.train()
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    assert trainer.state.global_step == 2 and len(losses) == 2
    assert all(math.isfinite(loss) for loss in losses)
