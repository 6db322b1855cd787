"""The dense (FAISS) index: inner product over unit vectors, so scores are cosine similarities.

The kind is chosen by collection size (docs/BENCHMARKS.md has the figures): exact search while it takes
under about a millisecond and a half, then an HNSW graph, and for the largest collections an inverted file
with 8-bit scalar quantisation (a quarter of the memory; a sixteenth of the lists scanned per question).
Candidates are re-scored exactly from the stored vectors afterwards, so approximation only affects which
passages are considered, never their scores.
"""

from __future__ import annotations

import math
from pathlib import Path

import faiss
import numpy as np

EXACT_UP_TO = 20_000
GRAPH_UP_TO = 300_000  # beyond this the graph's full-precision vectors cost too much memory


def choose_kind(n: int) -> str:
    if n <= EXACT_UP_TO:
        return "flat"
    return "hnsw" if n <= GRAPH_UP_TO else "ivf-sq8"


class DenseIndex:
    """A FAISS index whose row numbers are passage ids."""

    def __init__(self, index: faiss.Index, kind: str) -> None:
        self.index = index
        self.kind = kind
        self.tune()

    @classmethod
    def build(cls, vectors: np.ndarray, kind: str | None = None, seed: int = 0) -> DenseIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, dim = vectors.shape[0], int(vectors.shape[1])
        kind = kind or choose_kind(n)
        if kind == "flat" or n == 0:
            index = faiss.IndexFlatIP(dim)
            kind = "flat"
        elif kind == "hnsw":
            index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 80
        elif kind == "ivf-sq8":
            lists = max(1, min(int(2 * math.sqrt(n)), n // 39))
            quantizer = faiss.IndexFlatIP(dim)
            index = faiss.IndexIVFScalarQuantizer(quantizer, dim, lists, faiss.ScalarQuantizer.QT_8bit,
                                                  faiss.METRIC_INNER_PRODUCT)  # fmt: skip
            sample = vectors[np.random.default_rng(seed).choice(n, size=min(n, lists * 40), replace=False)]
            index.train(sample)
        else:
            raise ValueError(f"unknown index kind {kind!r}")
        if n:
            index.add(vectors)
        return cls(index, kind)

    def tune(self, effort: int | None = None) -> None:
        """How much of an approximate index each search visits (recall against speed)."""
        if self.kind == "hnsw":
            faiss.downcast_index(self.index).hnsw.efSearch = effort or 128
        elif self.kind == "ivf-sq8":
            ivf = faiss.extract_index_ivf(self.index)
            ivf.nprobe = effort or max(16, ivf.nlist // 16)

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    def search(self, query: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``n`` best rows for one query vector, and their scores, best first."""
        n = min(n, self.size)
        if n <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores, rows = self.index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), n)
        keep = rows[0] >= 0
        return rows[0][keep].astype(np.int64), scores[0][keep]

    def save(self, path: Path) -> None:
        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path, kind: str) -> DenseIndex:
        return cls(faiss.read_index(str(path)), kind)
