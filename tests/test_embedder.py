"""The embedder with the real bundled model: exact with sentence-transformers, and the ONNX backends close."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from qa.backends import onnx_file
from qa.embedder import Embedder, resolve_model
from qa.types import Span

TEXTS = [
    "The council approved the budget for new schools. It takes effect next year.",
    "Glaciers retreated thirty metres last year, the survey found.",
    "short",
    "A much longer passage about harbours, boats and the people who inspect them every Monday morning. " * 4,
]


@pytest.fixture(scope="module")
def torch_embedder() -> Embedder:
    return Embedder("minilm", backend="torch")


def test_torch_backend_matches_sentence_transformers_encode(torch_embedder: Embedder) -> None:
    embedder = torch_embedder
    vectors, _ = embedder.embed_passages(TEXTS, [()] * len(TEXTS))
    reference = embedder.backend.model.encode(TEXTS, normalize_embeddings=True)
    assert np.abs(vectors - reference).max() < 1e-5
    assert embedder.dimension == 384 and embedder.max_tokens == 254


def test_questions_embedded_with_onnx_equal_torch(torch_embedder: Embedder) -> None:
    questions = ["When does the budget take effect?", "glaciers", "x" * 3000]
    reference = torch_embedder.backend.model.encode(questions, normalize_embeddings=True)
    assert np.abs(torch_embedder.embed_queries(questions) - reference).max() < 1e-4


def test_sentence_vectors_come_from_the_same_pass(embedder: Embedder) -> None:
    spans = (Span(0, 48), Span(49, 75))
    _, sentences = embedder.embed_passages([TEXTS[0]], [spans])
    assert sentences.shape == (2, 384)
    assert np.allclose(np.linalg.norm(sentences, axis=1), 1, atol=1e-5)
    query = embedder.embed_queries(["When does it take effect?"])[0]
    assert sentences[1] @ query > sentences[0] @ query


@pytest.mark.parametrize(("backend", "least"), [("onnx", 0.9999), ("onnx-int8", 0.97)])
def test_onnx_backends_agree_with_torch(torch_embedder: Embedder, backend: str, least: float) -> None:
    reference, _ = torch_embedder.embed_passages(TEXTS, [()] * len(TEXTS))
    other = Embedder("minilm", backend=backend)
    vectors, _ = other.embed_passages(TEXTS, [()] * len(TEXTS))
    cosines = (vectors * reference).sum(axis=1)
    assert cosines.min() >= least, cosines


def test_quantising_leaves_the_shared_folder_to_others(tmp_path: Path) -> None:
    # two evals started together on a new machine: onnxruntime writes "model-inferred.onnx" beside the model it
    # quantises and deletes it after, so one process deleted the other's and failed. Another process's side file
    # (made here) must be left alone, and nothing but the result must be left behind.
    path, _ = resolve_model("minilm")
    fp32 = onnx_file(path, quantized=False)
    folder = tmp_path / "onnx" / fp32.parent.name
    folder.mkdir(parents=True)
    os.link(fp32, folder / "model.onnx")  # the export is not what is tested here
    (folder / "model-inferred.onnx").write_bytes(b"another process's")
    assert onnx_file(path, quantized=True, cache_dir=tmp_path) == folder / "model-int8.onnx"
    assert (folder / "model-inferred.onnx").read_bytes() == b"another process's"
    assert sorted(p.name for p in folder.iterdir()) == ["model-inferred.onnx", "model-int8.onnx", "model.onnx"]
