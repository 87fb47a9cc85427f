"""Supervised fine-tuning on exported datasets: Qwen tokenizer, chat template, masks, trainer."""
