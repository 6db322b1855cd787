"""What runs on each Ray worker, as Ray Data actors on the one core Ray gives each: ``DocumentWorker`` reads,
OCRs and cuts files into passages; ``EmbedWorker`` embeds batches of passages with the model loaded once."""

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
from qa.stores.batch import Fresh


def _embedder(model: str, backend: str, batch_size: int, cache_dir: str) -> Embedder:
    from pathlib import Path

    os.environ["HF_HUB_OFFLINE"] = "1"
    OcrPool.cores = 1  # one tesseract: Ray gave this worker one core
    # ``model``: a bundled model's name (its package is installed on every node) or the driver's folder path
    return Embedder(model, batch_size, backend, Path(cache_dir), cores=1)


class DocumentWorker:
    """Rows ``{i, jobs}`` in (a pickled unit of files: path, bytes, hash, kind, reader version), ``{i, results,
    pid}`` out: for each file its ``Fresh`` (text, passages), or ``(path, reason)`` if it could not be read (an
    exception's own pickling loses its fields). Only the tokenizer is loaded here, to count word pieces."""

    def __init__(self, model: str, backend: str, batch_size: int, cache_dir: str, chunking: dict[str, Any]) -> None:
        self.embedder = _embedder(model, backend, batch_size, cache_dir)
        self.chunking = ChunkSettings(**chunking)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        out = []
        for jobs in batch["jobs"]:
            unit = [Job(path, data, sha, kind, reader, None, "", 0.0) for path, data, sha, kind, reader in
                    pickle.loads(jobs)]  # fmt: skip
            results = [self.read(job) for job in unit]
            out.append(pickle.dumps([r if isinstance(r, Fresh) else (r.path, r.reason) for r in results]))
        return {"i": batch["i"], "results": np.array(out, dtype=object), "pid": np.full(len(out), os.getpid())}

    def read(self, job: Job) -> Fresh | DocumentError:
        try:
            return read_and_chunk(job, self.embedder, self.chunking, None)
        except DocumentError as exc:
            return exc
        except Exception as exc:  # a reader's bug on one file does not end a cluster's run: that file is named
            return DocumentError(job.path, f"could not be read on the cluster ({type(exc).__name__}: {exc})")


class EmbedWorker:
    """Rows ``{i, work}`` in (pickled batches, each its passage texts and their sentence spans, exactly as the
    driver's ``Embedder.batches_of`` made them), ``{i, results, pid}`` out: each batch's passage vectors and
    sentence vectors."""

    def __init__(self, model: str, backend: str, batch_size: int, cache_dir: str) -> None:
        self.embedder = _embedder(model, backend, batch_size, cache_dir)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        out = [pickle.dumps([self.embedder.embed_batch(texts, spans) for texts, spans in pickle.loads(work)])
               for work in batch["work"]]  # fmt: skip
        return {"i": batch["i"], "results": np.array(out, dtype=object), "pid": np.full(len(out), os.getpid())}
