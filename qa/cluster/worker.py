"""What runs on each Ray worker: one document at a time read, OCR'd, cut into passages and embedded, with the model
loaded once per worker (a Ray Data actor) on the one core Ray gives it."""

from __future__ import annotations

import os
import pickle
from typing import Any

import numpy as np

import qa  # noqa: F401  (the offline switches, before any model library is imported)
from qa.config import ChunkSettings
from qa.embedder import Embedder
from qa.errors import DocumentError
from qa.indexer import Job, read_and_chunk
from qa.readers.ocr import OcrPool
from qa.stores.batch import Fresh, embed_texts


class DocumentWorker:
    """A Ray Data actor: rows ``{i, path, data, sha, kind, reader}`` in, ``{i, result, pid}`` out, where ``result``
    is a pickled ``Fresh`` with its vectors, or ``(path, reason)``: why the file could not be read."""

    def __init__(self, model: str, backend: str, batch_size: int, cache_dir: str, chunking: dict[str, Any]) -> None:
        from pathlib import Path

        os.environ["HF_HUB_OFFLINE"] = "1"
        OcrPool.cores = 1  # one tesseract: Ray gave this worker one core
        # ``model``: a bundled model's name (its package is installed on every node) or the driver's folder path
        self.embedder = Embedder(model, batch_size, backend, Path(cache_dir), cores=1)
        self.chunking = ChunkSettings(**chunking)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        results = []
        for path, data, sha, kind, reader in zip(
            batch["path"], batch["data"], batch["sha"], batch["kind"], batch["reader"], strict=True
        ):
            job = Job(str(path), bytes(data), str(sha), str(kind), int(reader), None, "", 0.0)
            result = self.read(job)  # an error goes as (path, reason): an exception's own pickling loses its fields
            results.append(pickle.dumps(result if isinstance(result, Fresh) else (result.path, result.reason)))
        return {"i": batch["i"], "result": np.array(results, dtype=object), "pid": np.full(len(results), os.getpid())}

    def read(self, job: Job) -> Fresh | DocumentError:
        try:
            fresh = read_and_chunk(job, self.embedder, self.chunking, None)
        except DocumentError as exc:
            return exc
        except Exception as exc:  # a reader's bug on one file does not end a cluster's run: that file is named
            return DocumentError(job.path, f"could not be read on the cluster ({type(exc).__name__}: {exc})")
        texts, spans = embed_texts(fresh.document, fresh.chunks)
        fresh.vectors, fresh.sentence_vectors = self.embedder.embed_passages(texts, spans)
        return fresh
