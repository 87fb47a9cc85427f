"""Trainer callbacks: the loss log (``log.jsonl``) and a rich progress bar."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from agentscaler.jsonl import JsonlAppender

LOGGED_KEYS = ("loss", "learning_rate", "grad_norm", "epoch", "num_tokens")


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def callback_classes() -> tuple[type, type]:
    """``(JsonlLossLog, RichProgress)``, built on transformers' ``TrainerCallback``."""
    from transformers import TrainerCallback

    class JsonlLossLog(TrainerCallback):
        """Append ``{"step", "loss", "learning_rate", "grad_norm", "epoch", ...}`` per log event."""

        def __init__(self, path: Path) -> None:
            self.path = Path(path)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text("", encoding="utf-8")
            self.entries: list[dict[str, Any]] = []

        def on_log(self, args, state, control, logs=None, **kwargs):
            if not logs or "loss" not in logs:
                return
            entry: dict[str, Any] = {"step": state.global_step}
            for key in LOGGED_KEYS:
                value = _number(logs.get(key))
                if value is not None:
                    entry[key] = value
            self.entries.append(entry)
            with JsonlAppender(self.path) as log:
                log.append(entry)

    class RichProgress(TrainerCallback):
        """One bar per stage, advanced on every optimizer step."""

        def __init__(self, description: str) -> None:
            self.description = description
            self._progress: Any = None
            self._task: Any = None

        def on_train_begin(self, args, state, control, **kwargs):
            from agentscaler.progress import make_progress

            self._progress = make_progress()
            self._progress.start()
            self._task = self._progress.add_task(self.description, total=state.max_steps)

        def on_step_end(self, args, state, control, **kwargs):
            if self._progress is not None:
                self._progress.update(self._task, completed=state.global_step)

        def on_train_end(self, args, state, control, **kwargs):
            if self._progress is not None:
                self._progress.stop()
                self._progress = None

    return JsonlLossLog, RichProgress
