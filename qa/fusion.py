"""Ways to combine the dense and lexical scores of the same candidates: small pure functions."""

from __future__ import annotations

import numpy as np

RRF_K = 60


def minmax(scores: np.ndarray) -> np.ndarray:
    """Scores scaled to [0, 1] over the candidates (all zeros when they are all equal)."""
    if scores.size == 0:
        return scores.astype(np.float32)
    low, high = float(scores.min()), float(scores.max())
    if high - low < 1e-9:
        return np.zeros_like(scores, dtype=np.float32)
    return ((scores - low) / (high - low)).astype(np.float32)


def blend(dense: np.ndarray, lexical: np.ndarray, alpha: float) -> np.ndarray:
    """``alpha`` times the min-max-normalised dense score plus the rest of the lexical one."""
    return alpha * minmax(dense) + (1 - alpha) * minmax(lexical)


def rrf(dense: np.ndarray, lexical: np.ndarray, k: int = RRF_K) -> np.ndarray:
    """Reciprocal-rank fusion: sum over both rankings of ``1 / (k + rank)``, ranks from 1."""
    return (1.0 / (k + _ranks(dense)) + 1.0 / (k + _ranks(lexical))).astype(np.float32)


def _ranks(scores: np.ndarray) -> np.ndarray:
    ranks = np.empty(scores.size, dtype=np.float64)
    ranks[np.argsort(-scores, kind="stable")] = np.arange(1, scores.size + 1)
    return ranks
