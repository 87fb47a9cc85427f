"""The exported Parquet trains with TRL's own SFTTrainer, untouched, and TRL masks what we mask."""

from __future__ import annotations

import json
import math

import pytest

LENGTH = 420
"""Tokens kept per example (TRL truncates): enough for the first assistant turns."""


@pytest.mark.slow
def test_exported_parquet_trains_with_plain_sft_trainer(exported, tiny_model, tmp_path):
    import datasets
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    from agentscaler.train.masks import tokenize_with_mask

    dataset = datasets.load_dataset(
        "parquet", data_files=str(exported / "stage2" / "*.parquet"), split="train"
    )
    tokenizer = AutoTokenizer.from_pretrained(tiny_model, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(tiny_model, local_files_only=True)
    args = SFTConfig(
        output_dir=str(tmp_path / "trl"),
        assistant_only_loss=True,
        max_steps=1,
        per_device_train_batch_size=1,
        max_length=LENGTH,
        learning_rate=1e-3,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        use_cpu=True,
        disable_tqdm=True,
    )
    trainer = SFTTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer)

    prepared = trainer.train_dataset
    assert len(prepared) == len(dataset)
    for index in range(len(dataset)):
        row = dataset[index]
        ours = tokenize_with_mask(tokenizer, row["messages"], json.loads(row["tools"]))
        assert len(ours.input_ids) > LENGTH, "the test wants truncated examples"
        assert prepared[index]["input_ids"] == ours.input_ids[:LENGTH]
        trained = [label != -100 for label in prepared[index]["labels"]]
        assert trained == [bool(m) for m in ours.mask[:LENGTH]]
        assert any(trained)

    trainer.train()
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    assert trainer.state.global_step == 1 and len(losses) == 1
    assert all(math.isfinite(loss) for loss in losses)
