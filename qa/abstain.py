"""Whether the documents answer a question: a small logistic model over evidence that generalises.

One cosine and one threshold did not carry over to new questions (6 of 32 new answerable questions on the
article fell under it). Each passage found gets a *support*, the model's probability that it answers the
question, from three measures:

- ``evidence``: the passage's best sentence cosine (or its own cosine, if higher) with the question;
- ``coverage``: the idf-weighted share of the question's terms that the passage holds;
- ``known``: the idf-weighted share of the question's terms that the collection holds at all (an off-topic
  question asks about words the documents never use).

The evidence counts above the collection's *background*: the mean evidence that 40 everyday questions which no
document answers (``data/probe_questions.txt``) find in it. A broad collection (an encyclopedia) meets any
question with some similar sentence; a narrow one (a single article) does not, and the same cosine means more.
The question is answered when the best passage's support reaches the model's cutoff. Coefficients and cutoff come
from ``python -m qa calibrate`` on the shared sets and off-topic questions asked against each (docs/EVALUATION.md),
one set for each embedding model shipped or fetched (their cosines differ).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

PROBES = Path(__file__).resolve().parent / "data" / "probe_questions.txt"


@dataclass(frozen=True)
class Model:
    coefficients: tuple[float, ...]
    intercept: float
    cutoff: float = 0.5

    def support(self, evidence: float, coverage: float, known: float, background: float = 0.0) -> float:
        """The probability (0 to 1) that a passage with these measures answers the question."""
        z = self.intercept + float(np.dot(self.coefficients, (evidence - background, coverage, known)))
        return float(1.0 / (1.0 + np.exp(-z)))


# From `python -m qa calibrate ../shared/eval/article ../shared/eval/tatqa_dev ../shared/eval/scifact
# ../shared/eval/followups` (all-MiniLM-L6-v2, onnx-int8): every set answers >= 95% of its answerable questions and
# abstains on >= 93% of the 114 off-topic ones; figures and margins in docs/EVALUATION.md.
MINILM = Model((17.7841, 2.5443, 2.3196), -6.5096, 0.3973)
# The same command with `--model mpnet` (all-mpnet-base-v2, onnx fp32): >= 95% answered, >= 98% abstained.
MPNET = Model((18.2281, 2.4287, 1.6533), -6.8355, 0.6556)
CALIBRATED = {"all-MiniLM-L6-v2": MINILM, "all-mpnet-base-v2": MPNET}


def model_for(name: str) -> Model:
    """The calibrated model for an embedding model's name; MiniLM's for one not calibrated here."""
    return CALIBRATED.get(name, MINILM)


def probe_questions() -> list[str]:
    return [line.strip() for line in PROBES.read_text(encoding="utf-8").splitlines() if line.strip()]


def fit(x: np.ndarray, y: np.ndarray, weights: np.ndarray, l2: float = 1e-3, steps: int = 50) -> Model:
    """Weighted logistic regression by Newton's method (a few features, thousands of rows: exact and fast)."""
    design = np.hstack([x, np.ones((len(x), 1))])
    theta = np.zeros(design.shape[1])
    penalty = l2 * np.eye(design.shape[1])
    penalty[-1, -1] = 0.0  # the intercept is not shrunk
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(design @ theta)))
        gradient = design.T @ (weights * (p - y)) + penalty @ theta
        hessian = design.T @ (design * (weights * p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if np.abs(step).max() < 1e-8:
            break
    return Model(tuple(float(c) for c in theta[:-1]), float(theta[-1]))
